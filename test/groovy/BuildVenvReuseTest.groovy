import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertTrue

import org.junit.Test

/** buildVenv(reuse: true): a published build of the same inputs is returned instead of building one. */
class BuildVenvReuseTest extends FakeHelperStepTest {

    Map buildVenv(Map args) {
        return loadStep('buildVenv').call(args) as Map
    }

    @Test
    void aHitAtValidateBuildsNothingAndReturnsThePublishedBuild() {
        fakeHelper.reusedBy = 'validate'

        Map built = buildVenv(envName: 'demo', bucket: 'team-venvs', reuse: true, awsCredentialsId: 'aws-publisher')

        assertEquals(['install-helper', 'verify-helper', 'validate'], fakeHelper.commands)  // verified before credentials
        assertEquals(['Validate inputs'], stageNames())
        assertEquals(true, built.reused)
        assertEquals('venv_20250101_000000', built.venvVersion)
        assertTrue(built.archiveUrl.startsWith('s3://team-venvs/venv-builds/'))
        Map validate = shCalls.find { it.env.VB_STAGE == 'validate' }
        assertEquals('true', validate.env.VB_REUSE)
        assertEquals('test-access-key', validate.env.AWS_ACCESS_KEY_ID)  // the lookup reads the bucket
        assertEquals('SUCCESS', result())
    }

    @Test
    void anotherBuildOfTheKeyWinningAtPublishIsReturnedToo() {
        fakeHelper.reusedBy = 'publish'

        Map built = buildVenv(envName: 'demo', bucket: 'team-venvs', reuse: true)

        assertEquals(['install-helper', 'validate', 'install', 'inspect', 'package', 'metadata', 'verify-helper', 'publish'],
            fakeHelper.commands)
        assertEquals(true, built.reused)
        assertEquals('venv_20250101_000000', built.venvVersion)
    }

    @Test
    void aMissBuildsAsUsualAndSaysSo() {
        Map built = buildVenv(envName: 'demo', bucket: 'team-venvs', reuse: true)

        assertEquals(false, built.reused)
        assertEquals(FakeHelper.VENV_VERSION, built.venvVersion)
        assertEquals('true', shCalls.find { it.env.VB_STAGE == 'publish' }.env.VB_REUSE)
    }

    @Test
    void withoutReuseTheHelperIsNotAskedTo() {
        Map built = buildVenv(envName: 'demo', bucket: 'team-venvs')

        assertEquals(false, built.reused)
        assertFalse(shCalls.any { it.env.VB_REUSE == 'true' })
    }

    @Test
    void reuseNeedsABucket() {
        String message = errorFrom { buildVenv(envName: 'demo', reuse: true) }

        assertEquals('buildVenv: reuse needs a bucket: builds are looked up where they are published', message)
        assertTrue(shCalls.isEmpty())
    }

    @Test
    void reuseIsOnTheHelpPage() {
        String help = new File(PROJECT_DIR, 'vars/buildVenv.txt').getText('UTF-8')

        assertTrue(help.contains('<code>reuse</code>') && help.contains('<code>reused</code>'))
    }
}
