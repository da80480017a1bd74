import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertTrue

import org.junit.Test

/** tagVenv: checks its options before any shell, installs the helper, passes values through the environment only. */
class TagVenvTest extends FakeHelperStepTest {

    Map tagVenv(Map args) {
        return loadStep('tagVenv').call(args) as Map
    }

    @Test
    void installsTheHelperThenTagsThroughTheEnvironment() {
        Map done = tagVenv(version: 'venv_20250722_163000', tag: 'stable', bucket: 'team-venvs', prefix: 'ml/venvs',
                           region: 'eu-west-1', awsCredentialsId: 'aws-publisher')

        assertEquals([version: 'venv_20250722_163000', tag: 'stable', removed: false], done)
        assertEquals(['install-helper', 'verify-helper', 'tag'], fakeHelper.commands)
        Map tag = shCalls.find { it.env.VB_STAGE == 'tag' }
        assertEquals(libraryScript('run-tag.sh'), tag.script)
        assertEquals('venv_20250722_163000', tag.env.VB_VERSION)
        assertEquals('stable', tag.env.VB_TAG)
        assertEquals('false', tag.env.VB_REMOVE)
        assertEquals('s3://team-venvs/ml/venvs', tag.env.VB_STORE)
        assertEquals('eu-west-1', tag.env.VB_REGION)
        assertEquals(FakeHelper.TOOL_COMMAND, tag.env.VB_HELPER)
        assertEquals('test-access-key', tag.env.AWS_ACCESS_KEY_ID)
        assertTrue(helper.callStack.findAll { it.methodName == 'sh' }.every { (it.args[0] as Map).label })
    }

    @Test
    void theHelperIsThisCallsAndIsRemovedAfterTheTag() {
        tagVenv(version: 'venv_20250722_163000', tag: 'stable', bucket: 'team-venvs')

        Map install = shCalls.find { it.env.VB_STAGE == 'install-helper' }
        assertEquals("${workspaceTmp.path}/venvbuild/tagVenv/stable/helper".toString(), install.env.VB_TOOL_DIR)
        assertFalse(new File(workspaceTmp, 'venvbuild/tagVenv/stable').exists())
    }

    @Test
    void aWindowsAgentGetsOneLineBeforeAnyShell() {
        unix = false

        String message = errorFrom { tagVenv(version: 'venv_20250722_163000', tag: 'stable', bucket: 'team-venvs') }

        assertEquals('tagVenv: this agent runs Windows; the venvbuild helper needs a Linux or macOS agent with python3', message)
        assertEquals([], shCalls)
    }

    @Test
    void removeIsPassedOn() {
        Map done = tagVenv(version: 'venv_20250722_163000', tag: 'stable', bucket: 'team-venvs', remove: true)

        assertEquals(true, done.removed)
        assertEquals('true', shCalls.find { it.env.VB_STAGE == 'tag' }.env.VB_REMOVE)
    }

    @Test
    void badOptionsAreRefusedBeforeAnyShell() {
        Map good = [version: 'venv_20250722_163000', tag: 'stable', bucket: 'team-venvs']
        assertEquals("tagVenv: tag 'not stable' is not valid: letters, digits, '-', '_' and '.'; starts with a letter; at most 64 characters",
            errorFrom { tagVenv(good + [tag: 'not stable']) })
        assertEquals("tagVenv: version 'latest' is not valid: venv_YYYYMMDD_HHMMSS (UTC)",
            errorFrom { tagVenv(good + [version: 'latest']) })
        assertEquals('tagVenv: bucket is required', errorFrom { tagVenv(good.findAll { it.key != 'bucket' }) })
        assertTrue(errorFrom { tagVenv(good + [colour: 'red']) }.startsWith('tagVenv: unknown option colour; accepted: version, tag'))
        assertEquals("tagVenv: remove must be true or false, not 'yes'", errorFrom { tagVenv(good + [remove: 'yes']) })
        assertTrue(shCalls.isEmpty())
    }

    @Test
    void aHelperFailureFailsTheBuildWithItsErrorLine() {
        fakeHelper.exitCodes.tag = 2
        fakeHelper.errors.tag = 'VERSION venv_20250722_163000: no such published build in s3://team-venvs/venv-builds'

        String message = errorFrom { tagVenv(version: 'venv_20250722_163000', tag: 'stable', bucket: 'team-venvs') }

        assertEquals('tagVenv: tag failed with exit code 2 (bad usage or bad input): venvbuild: error: VERSION ' +
            'venv_20250722_163000: no such published build in s3://team-venvs/venv-builds', message)
    }

    @Test
    void everyOptionIsOnTheHelpPage() {
        String message = errorFrom { tagVenv(colour: 'red') }
        List<String> accepted = message.substring(message.indexOf('accepted: ') + 'accepted: '.length()).split(', ') as List
        String help = new File(PROJECT_DIR, 'vars/tagVenv.txt').getText('UTF-8')

        assertTrue(accepted.size() > 5)
        accepted.each { assertTrue("${it} is documented", help.contains("<code>${it}</code>")) }
    }
}
