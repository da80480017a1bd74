import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertTrue

import org.junit.Before
import org.junit.Test

/** withVenv against the stand-in helper: what reaches the pull, and the body's environment. */
class WithVenvTest extends PipelineTestBase {

    FakeHelper fakeHelper = new FakeHelper()
    List<Map> bodyCalls = []               // the environment the body ran with, once per run

    static final String DEST = "${FakeHelper.PULL_CACHE}/${FakeHelper.SHA256}"

    @Before
    void stubs() {
        shHandler = { Map call -> fakeHelper.run(call) }
    }

    /**
     * A body that records the environment it runs in and returns result. Made in a static method, so it
     * holds no test instance: under CPS every closure a step holds must serialize, as a Jenkinsfile's do.
     */
    static Closure recordingBody(List<Map> into, Map<String, String> env, Object result = null) {
        return { -> into << [env: new LinkedHashMap(env)]; result }
    }

    /** A body that fails, as a failing `sh 'pytest'` does; static for CPS, as recordingBody. */
    static Closure failingBody() {
        return { -> throw new IllegalStateException('tests failed') }
    }

    Object withVenv(Map args, Object result = null) {
        return loadStep('withVenv').call(args, recordingBody(bodyCalls, env, result))
    }

    Map pullCall() {
        return shCalls.find { it.env.VB_STAGE == 'pull' }
    }

    @Test
    void pullsTheNewestBuildAndRunsTheBodyInsideIt() {
        withVenv(envName: 'demo', bucket: 'my-venvs', region: 'eu-west-1', awsCredentialsId: 'aws-reader')

        assertEquals(['install-helper', 'verify-helper', 'pull', 'after'], fakeHelper.commands)
        Map pull = pullCall()
        assertEquals('venvbuild pull: the venv for withVenv', pull.label)
        assertEquals(new File(PROJECT_DIR, 'resources/venvbuild/pull-venv.sh').text, pull.script)
        assertEquals('s3://my-venvs/venv-builds', pull.env.VB_STORE)
        assertEquals('demo', pull.env.VB_ENV_NAME)
        assertEquals('true', pull.env.VB_PULL_LATEST)
        assertFalse(pull.env.containsKey('VB_PULL_VERSION'))
        assertEquals('eu-west-1', pull.env.VB_REGION)
        assertEquals('test-access-key', pull.env.AWS_ACCESS_KEY_ID)
        assertEquals(FakeHelper.TOOL_COMMAND, pull.env.VB_HELPER)
        assertTrue('no value in the script text', !pull.script.contains('my-venvs'))

        String toolDir = shCalls.find { it.env.VB_STAGE == 'install-helper' }.env.VB_TOOL_DIR
        assertTrue(toolDir, toolDir ==~ /${java.util.regex.Pattern.quote(workspaceTmp.path)}\/venvbuild\/withVenv\/demo-[0-9a-f-]+\/helper/)
        assertFalse('the helper was the call\'s, gone after it', new File(toolDir).parentFile.exists())

        assertEquals(1, bodyCalls.size())
        Map body = bodyCalls[0]
        assertEquals(DEST, body.env.VIRTUAL_ENV)
        assertTrue(body.env.PATH, body.env.PATH.startsWith("${DEST}/bin${File.pathSeparator}"))
        assertEquals(FakeHelper.VENV_VERSION, body.env.VENVBUILD_VENV_VERSION)
        assertFalse('credentials are bound for the pull only', body.env.containsKey('AWS_ACCESS_KEY_ID'))
        assertEquals(["withVenv: demo ${FakeHelper.VENV_VERSION} pulled at ${DEST}".toString()], echoes)
    }

    @Test
    void takesTheMapBuildVenvReturns() {
        Map built = [envName: 'demo', pythonVersion: '3.11', venvVersion: 'venv_20261124_101500',
                     archiveUrl: 's3://team-venvs/ml/envs/venv_20261124_101500/venv_20261124_101500.tar.zst',
                     sha256: 'b' * 64, conflictFree: true, reused: false]

        withVenv(built + [region: 'us-east-2'])

        Map pull = pullCall()
        assertEquals('s3://team-venvs/ml/envs', pull.env.VB_STORE)
        assertEquals('venv_20261124_101500', pull.env.VB_PULL_VERSION)
        assertEquals('us-east-2', pull.env.VB_REGION)
        assertFalse(pull.env.containsKey('VB_PULL_LATEST'))
        assertEquals(1, bodyCalls.size())
    }

    @Test
    void aBuildFromALocalStoreAndATag() {
        withVenv(envName: 'demo', tag: 'stable', store: '/srv/venv store', cacheDir: '/var/cache/envs')

        Map pull = pullCall()
        assertEquals('/srv/venv store', pull.env.VB_STORE)
        assertEquals('stable', pull.env.VB_PULL_TAG)
        assertEquals('/var/cache/envs', pull.env.VB_CACHE_DIR)
        assertFalse(pull.env.containsKey('VB_PULL_LATEST'))
        assertEquals(['install-helper', 'pull', 'after'], fakeHelper.commands)
    }

    Map afterCall() {
        return shCalls.find { it.env.VB_STAGE == 'after' }
    }

    @Test
    void theSharedEntryIsLeasedForTheBodyAndReleasedAfterIt() {
        withVenv(envName: 'demo', bucket: 'my-venvs')

        Map pull = pullCall()
        assertTrue(pull.env.VB_LEASE_FILE, pull.env.VB_LEASE_FILE.startsWith('.venvbuild-logs/withVenv/demo-'))
        assertFalse(pull.env.containsKey('VB_DEST'))
        Map after = afterCall()
        assertEquals('venvbuild: release the venv', after.label)
        assertEquals(new File(PROJECT_DIR, 'resources/venvbuild/after-venv.sh').text, after.script)
        assertEquals(pull.env.VB_LEASE_FILE, after.env.VB_LEASE_FILE)
        assertFalse(after.env.containsKey('VB_PRUNE'))
        assertEquals(FakeHelper.TOOL_COMMAND, after.env.VB_HELPER)
        assertTrue('every sh has a label', shCalls.every { it.label })
    }

    @Test
    void twoCallsOfOneEnvKeepTheirOwnFolders() {
        withVenv(envName: 'demo', bucket: 'my-venvs', version: 'venv_20261124_101500')
        withVenv(envName: 'demo', bucket: 'my-venvs', version: 'venv_20261125_101500')

        List<Map> pulls = shCalls.findAll { it.env.VB_STAGE == 'pull' }
        assertEquals(2, pulls.size())
        assertTrue(pulls*.env.VB_RESULT_FILE.toString(), pulls[0].env.VB_RESULT_FILE != pulls[1].env.VB_RESULT_FILE)
        assertTrue(pulls[0].env.VB_LEASE_FILE != pulls[1].env.VB_LEASE_FILE)
        assertEquals(['venv_20261124_101500', 'venv_20261125_101500'], bodyCalls*.env.VENVBUILD_VENV_VERSION)
    }

    @Test
    void writableGivesTheBodyItsOwnCopyInTheBuildsTmpFolder() {
        withVenv(envName: 'demo', bucket: 'my-venvs', writable: true)

        Map pull = pullCall()
        String tmp = new File(workspace.path + '@tmp', 'venvbuild').path
        assertTrue(pull.env.VB_DEST, pull.env.VB_DEST.startsWith("${tmp}/demo-"))
        assertFalse('no lease: nothing shared', pull.env.containsKey('VB_LEASE_FILE'))
        assertEquals(pull.env.VB_DEST, afterCall().env.VB_PRIVATE_DEST)
        assertTrue(echoes[0], echoes[0].contains('a writable copy for this body'))
    }

    @Test
    void theVenvIsReleasedWhenTheBodyFailsAndTheBodysErrorStands() {
        try {
            loadStep('withVenv').call([envName: 'demo', bucket: 'my-venvs'], failingBody())
            throw new AssertionError('the body\'s error should reach the caller')
        } catch (IllegalStateException e) {
            assertEquals('tests failed', e.message)
        }
        assertEquals('after', fakeHelper.commands.last())
    }

    @Test
    void pythonVersionAndPruneCacheReachTheScripts() {
        withVenv(envName: 'demo', bucket: 'my-venvs', pythonVersion: '3.11', cacheDir: '/var/cache/envs',
                 pruneCache: [maxBytes: 20000000000, keepDays: 14], helperToolRoot: '/opt/vb-tools')

        assertEquals('3.11', pullCall().env.VB_PYTHON_VERSION)
        Map after = afterCall()
        assertEquals('venvbuild: release the venv, prune the cache', after.label)
        assertEquals('true', after.env.VB_PRUNE)
        assertEquals('20000000000', after.env.VB_PRUNE_MAX_BYTES)
        assertEquals('14', after.env.VB_PRUNE_KEEP_DAYS)
        assertEquals('/var/cache/envs', after.env.VB_CACHE_DIR)
        assertEquals('true', after.env.VB_PRUNE_HELPERS)
        assertEquals('/opt/vb-tools', after.env.VB_TOOL_ROOT)
    }

    @Test
    void returnsWhatTheBodyReturns() {
        assertEquals(42, withVenv([envName: 'demo', bucket: 'my-venvs'], 42))
    }

    @Test
    void anUnpublishedBuildIsRefused() {
        Map built = [envName: 'demo', venvVersion: 'venv_20261124_101500', sha256: 'b' * 64,
                     archiveUrl: 'file:///ws/venvbuild-work/demo/default/artifacts/venv_20261124_101500.tar.gz']
        String message = errorFrom { withVenv(built) }
        assertTrue(message, message.startsWith('withVenv: that build was not published to a store'))
        assertEquals([], shCalls)
    }

    @Test
    void badOptionsAreOneLineBeforeAnyShell() {
        Map<Map, String> cases = [
            ([envName: 'demo', bucket: 'b-1', colour: 'red']): 'withVenv: unknown option colour',
            ([envName: 'demo']): 'withVenv: give bucket (S3) or store (a folder on the agent), one of them',
            ([envName: 'demo', bucket: 'b-1', store: '/srv/s']): 'withVenv: give bucket (S3) or store',
            ([envName: 'demo', bucket: 'b-1', version: 'newest']): "withVenv: version 'newest' is not valid",
            ([bucket: 'b-1']): "withVenv: envName is required with version 'latest'",
            ([envName: 'demo', bucket: 'b-1', tag: 'stable', version: 'venv_20261124_101500']): 'withVenv: give version or tag, not both',
            ([envName: 'demo', store: '/srv/s', awsCredentialsId: 'x']): 'withVenv: awsCredentialsId is for a bucket',
            ([envName: 'demo', store: '/srv/"s"']): "withVenv: store '/srv/\"s\"' is not valid",
            ([envName: 'demo; rm -rf /', bucket: 'b-1']): "withVenv: envName 'demo; rm -rf /' is not valid",
            ([envName: 'demo', bucket: 'b-1', pythonVersion: '3']): "withVenv: pythonVersion '3' is not valid",
            ([envName: 'demo', bucket: 'b-1', writable: 'yes']): 'withVenv: writable must be true or false',
            ([envName: 'demo', bucket: 'b-1', pruneCache: [colour: 1]]): 'withVenv: pruneCache must be a map of maxBytes and/or keepDays',
            ([envName: 'demo', bucket: 'b-1', pruneCache: [keepDays: -1]]): 'withVenv: pruneCache values must be numbers of at least 0',
            ([envName: 'demo', bucket: 'b-1', pruneCache: [keepDays: '7; rm -rf /']]): 'withVenv: pruneCache values must be numbers',
        ]
        cases.each { Map args, String expected ->
            String message = errorFrom { withVenv(args) }
            assertTrue("${args}: ${message}", message.startsWith(expected))
            assertEquals(1, message.readLines().size())
        }
        assertEquals([], shCalls)
        assertEquals([], bodyCalls)
    }

    @Test
    void theHelpersErrorFailsTheBuildAndTheBodyDoesNotRun() {
        fakeHelper.exitCodes.pull = 6
        fakeHelper.errors.pull = 's3://my-venvs/venv-builds/venv_x/venv_x.tar.gz: 100 bytes with sha256 c..., but metadata.json says 90 bytes'

        String message = errorFrom { withVenv(envName: 'demo', bucket: 'my-venvs') }

        assertEquals('withVenv: pull failed with exit code 6 (store/publish failed): venvbuild: error: ' +
            's3://my-venvs/venv-builds/venv_x/venv_x.tar.gz: 100 bytes with sha256 c..., but metadata.json says 90 bytes', message)
        assertEquals([], bodyCalls)
    }

    @Test
    void aWindowsAgentIsOneLine() {
        unix = false
        String message = errorFrom { withVenv(envName: 'demo', bucket: 'my-venvs') }
        assertTrue(message, message.startsWith('withVenv: this agent runs Windows'))
        assertEquals([], shCalls)
    }
}
