import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertTrue

import io.venvbuild.BuildPaths
import io.venvbuild.HelperTool
import io.venvbuild.StageEnvironment
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder

/**
 * The scripts in resources/venvbuild/ run for real with sh, with the environment the steps build:
 * run-stage.sh against a stand-in helper that prints its arguments, one per line; install-helper.sh
 * against a stand-in python3 whose venv's pip installs nothing (the real install from a local index is
 * in BuildVenvDefaultInstallEndToEndTest).
 */
class LibraryScriptsTest {

    static final File RESOURCES = new File(PipelineTestBase.PROJECT_DIR, 'resources/venvbuild')
    static final String LOCK = 'venvbuild==0.1.0 \\\n    --hash=sha256:' + 'a' * 64 + '\n'

    @Rule
    public TemporaryFolder temporaryFolder = new TemporaryFolder()

    File workspace
    File toolRoot
    File fakeHelper
    StringBuilder log = new StringBuilder()
    Map options = [envName        : 'demo', requirements: 'requirements.txt', requirePinned: true,
                   failOnConflicts: true, prefix: 'venv-builds', helperPython: 'python3']
    Map paths = BuildPaths.of('demo', null)

    @Before
    void writeFakeHelper() {
        workspace = temporaryFolder.newFolder('workspace')
        toolRoot = temporaryFolder.newFolder('tools')
        fakeHelper = new File(temporaryFolder.root, 'fake-venvbuild')
        fakeHelper.text = '''#!/bin/sh
if [ "$1" = --version ]; then echo "venvbuild ${FAKE_VERSION:-0.1.0}"; exit 0; fi
printf '%s\\n' "$@"
if [ -n "${FAKE_EXIT:-}" ]; then echo "venvbuild: error: fake failure" >&2; exit "$FAKE_EXIT"; fi
'''
        fakeHelper.setExecutable(true)
    }

    int runStage(String command, Map<String, String> extraEnv = [:]) {
        Map<String, String> env = [:]
        PipelineTestBase.applyWithEnv(env, StageEnvironment.of(options, paths, fakeHelper.path) +
            ["VB_STAGE=${command}".toString(), "VB_STDERR_FILE=${BuildPaths.stderrFile(paths, command)}".toString()])
        return ShellRunner.run([script: new File(RESOURCES, 'run-stage.sh').text, env: env + extraEnv, cwd: workspace], log)
    }

    int runHelperScript(String command, Map helperOptions, Map<String, String> extraEnv = [:], StringBuilder out = log) {
        Map<String, String> env = [:]
        Map all = HelperTool.DEFAULTS + [helperToolRoot: toolRoot.path] + helperOptions
        PipelineTestBase.applyWithEnv(env, HelperTool.environment(all, LOCK, '0.1.0', "${paths.logDir}/helper.info") +
            ["VB_STAGE=${command}".toString(), "VB_STDERR_FILE=${paths.logDir}/${command}.stderr".toString()])
        return ShellRunner.run([script: new File(RESOURCES, 'install-helper.sh').text, env: env + extraEnv, cwd: workspace], out)
    }

    String stderrOf(String command) {
        return new File(workspace, "${paths.logDir}/${command}.stderr").text
    }

    Map helperInfo() {
        return HelperTool.parseInfo(new File(workspace, "${paths.logDir}/helper.info").text)
    }

    List<String> helperArguments() {
        return log.readLines().findAll { !it.startsWith('+ venvbuild') && !it.startsWith('venvbuild: error') }
    }

    /**
     * A python3 stand-in: `-m venv DIR` makes DIR/bin/python, a copy of itself; that one acts as pip
     * (prints the index it was given, exits FAKE_PIP_EXIT after FAKE_PIP_SLEEP seconds) and as
     * `-m venvbuild --version`. `-I -c` runs the real python3 (install-helper.sh builds the index URL so).
     */
    File fakePython() {
        File python = new File(temporaryFolder.root, 'fake-python3')
        python.text = '''#!/bin/sh
case "$*" in
    "-m venv "*) mkdir -p "$3/bin" "$3/lib" && cp "$0" "$3/bin/python" && echo "home = /usr" > "$3/pyvenv.cfg" ;;
    "-I -c "*) exec python3 "$@" ;;
    "-I -m pip install "*)
        echo "Looking in indexes: ${PIP_INDEX_URL:-the agent's pip config}"
        sleep "${FAKE_PIP_SLEEP:-0}"
        if [ "${FAKE_PIP_EXIT:-0}" != 0 ]; then echo "ERROR: 401 Unauthorized for url: ${PIP_INDEX_URL:-}venvbuild/" >&2; exit "$FAKE_PIP_EXIT"; fi
        echo "venvbuild 0.1.0" > "$(dirname "$0")/../lib/installed" ;;
    "-I -m pip check") echo "No broken requirements found." ;;
    "-I -B -m venvbuild --version") cat "$(dirname "$0")/../lib/installed" ;;
    *) echo "fake python3: unexpected $*" >&2; exit 9 ;;
esac
'''
        python.setExecutable(true)
        return python
    }

    List<String> filesHolding(File root, String value) {
        List<String> found = []
        root.eachFileRecurse { File f -> if (f.file && !java.nio.file.Files.isSymbolicLink(f.toPath()) && f.getText('ISO-8859-1').contains(value)) { found << f.path } }
        return found
    }

    @Test
    void validatePassesEveryOptionAsOneArgument() {
        options += [requirements : 'my reqs; $(id) `id`.txt', pythonVersion: '3.11', requirePinned: false,
                    installer    : 'uv', compression: 'zst']
        paths = BuildPaths.of('demo', '3.11')

        assertEquals(0, runStage('validate'))

        assertEquals(['validate', '--work-dir', 'venvbuild-work/demo/3.11', '--requirements', 'my reqs; $(id) `id`.txt',
                      '--env-name', 'demo', '--python', '3.11', '--allow-unpinned', '--installer', 'uv',
                      '--compression', 'zst'], helperArguments())
    }

    @Test
    void validateLeavesOutOptionsThatAreNotSet() {
        assertEquals(0, runStage('validate'))

        assertEquals(['validate', '--work-dir', 'venvbuild-work/demo/default', '--requirements', 'requirements.txt',
                      '--env-name', 'demo'], helperArguments())
    }

    @Test
    void inspectAlwaysAsksForConflictsAsExitFour() {
        options.failOnConflicts = false

        assertEquals(0, runStage('inspect'))

        assertEquals(['inspect', '--work-dir', 'venvbuild-work/demo/default', '--fail-on-conflicts'], helperArguments())
    }

    @Test
    void publishGivesTheStoreRegionAndEndpoint() {
        options += [bucket: 'team-venvs', prefix: 'ml/venvs', region: 'eu-west-1', endpointUrl: 'http://minio:9000']

        assertEquals(0, runStage('publish'))

        assertEquals(['publish', 'venvbuild-work/demo/default/artifacts', '--store', 's3://team-venvs/ml/venvs',
                      '--next-free-version', '--region', 'eu-west-1', '--endpoint-url', 'http://minio:9000'], helperArguments())
    }

    @Test
    void publishGivesEncryptionAndChecksumOptions() {
        options += [bucket              : 'team-venvs', sse: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k 1',
                    checksumWhenRequired: true]

        assertEquals(0, runStage('publish'))

        assertEquals(['publish', 'venvbuild-work/demo/default/artifacts', '--store', 's3://team-venvs/venv-builds',
                      '--next-free-version', '--sse', 'aws:kms', '--kms-key-id', 'arn:aws:kms:eu-west-1:1:key/k 1',
                      '--checksum-when-required'], helperArguments())
    }

    @Test
    void publishLeavesOutEncryptionAndChecksumOptionsThatAreNotSet() {
        options += [bucket: 'team-venvs', checksumWhenRequired: false]

        assertEquals(0, runStage('publish'))

        assertEquals(['publish', 'venvbuild-work/demo/default/artifacts', '--store', 's3://team-venvs/venv-builds',
                      '--next-free-version'], helperArguments())
    }

    @Test
    void keepsTheHelpersExitCodeAndStderr() {
        assertEquals(3, runStage('validate', [FAKE_EXIT: '3']))

        assertEquals('venvbuild: error: fake failure\n', stderrOf('validate'))
        assertTrue(log.toString().contains('venvbuild: error: fake failure'))
    }

    @Test
    void refusesAnUnknownStage() {
        assertEquals(2, runStage('deploy'))

        assertEquals("venvbuild: error: unknown stage 'deploy'\n", stderrOf('deploy'))
    }

    @Test
    void usesAnInstalledHelperCommandOfThisVersion() {
        assertEquals(0, runHelperScript('install-helper', [helperCommand: fakeHelper.path]))

        assertEquals([command: fakeHelper.path, digest: ''], helperInfo())
        assertEquals([], toolRoot.list() as List)
    }

    @Test
    void refusesAHelperCommandOfAnotherVersion() {
        assertEquals(2, runHelperScript('install-helper', [helperCommand: fakeHelper.path], [FAKE_VERSION: '0.0.9']))

        assertEquals("venvbuild: error: helper '${fakeHelper.path}' is 'venvbuild 0.0.9', this library needs 'venvbuild 0.1.0'\n".toString(),
            stderrOf('install-helper'))
    }

    @Test
    void reportsAMissingHelperCommand() {
        assertEquals(2, runHelperScript('install-helper', [helperCommand: 'no-such-venvbuild']))

        assertEquals("venvbuild: error: helperCommand 'no-such-venvbuild' is not a command on this agent\n", stderrOf('install-helper'))
    }

    @Test
    void installsTheToolOnceOutsideTheWorkspaceAndReusesIt() {
        Map helperOptions = [helperPython: fakePython().path]

        assertEquals(log.toString(), 0, runHelperScript('install-helper', helperOptions))

        String key = HelperTool.key(LOCK, '0.1.0', fakePython().path)
        File tool = new File(toolRoot, key)
        Map first = helperInfo()
        assertEquals("${tool.path}/bin/venvbuild-run".toString(), first.command)
        assertTrue(first.digest ==~ /[0-9a-f]{64}/)
        assertFalse('made read-only', java.nio.file.Files.getPosixFilePermissions(new File(tool, 'bin').toPath())
            .contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE))
        assertEquals('no temporary folder is left', [key], toolRoot.list() as List)
        assertFalse(new File(workspace, '.venvbuild-tool').exists())

        log = new StringBuilder()
        assertEquals(log.toString(), 0, runHelperScript('install-helper', helperOptions))
        assertTrue(log.toString(), log.toString().contains("venvbuild helper already installed in ${tool.path}"))
        assertFalse(log.toString().contains('Looking in indexes'))
        assertEquals(first, helperInfo())
    }

    @Test
    void refusesAToolFolderInsideTheWorkspace() {
        assertEquals(2, runHelperScript('install-helper', [helperPython: fakePython().path, helperToolRoot: "${workspace.path}/tools".toString()]))

        assertEquals("venvbuild: error: the helper's tool folder ${workspace.path}/tools is inside the workspace; give helperToolRoot outside it\n".toString(),
            stderrOf('install-helper'))
    }

    @Test
    void aToolChangedAfterItsInstallIsFoundBeforePublishAndOnReuse() {
        Map helperOptions = [helperPython: fakePython().path]
        assertEquals(0, runHelperScript('install-helper', helperOptions))
        Map info = helperInfo()
        assertEquals(0, runHelperScript('verify-helper', helperOptions, [VB_HELPER_DIGEST: info.digest]))

        // What a package being built could do: the agent's user can make the read-only tool writable again.
        File tool = new File(info.command as String).parentFile.parentFile
        ShellRunner.run([script: "chmod -R u+w '${tool.path}' && echo 'import os' > '${tool.path}/lib/sitecustomize.py'", env: [:], cwd: workspace], log)

        assertEquals(5, runHelperScript('verify-helper', helperOptions, [VB_HELPER_DIGEST: info.digest]))
        assertEquals("venvbuild: error: the helper's tool folder ${tool.path} changed during this build; not running it with credentials\n".toString(),
            stderrOf('verify-helper'))
        assertEquals(5, runHelperScript('install-helper', helperOptions))
        assertTrue(stderrOf('install-helper'), stderrOf('install-helper').contains("the helper's tool folder ${tool.path} was changed after it was installed"))
    }

    @Test
    void indexCredentialsReachPipOnlyInItsEnvironmentAndAreMasked() {
        Map helperOptions = [helperPython: fakePython().path, helperIndexUrl: 'https://pypi.example.com/simple/']
        Map<String, String> credentials = [VB_INDEX_USER: 'ci reader', VB_INDEX_PASSWORD: 'p@ss:w/rd-s3cret']

        assertEquals(log.toString(), 0, runHelperScript('install-helper', helperOptions, credentials))

        assertTrue(log.toString(), log.toString().contains('Looking in indexes: https://****@pypi.example.com/simple/'))
        assertFalse(log.toString(), log.toString().contains('s3cret'))
        assertEquals([], filesHolding(workspace, 's3cret'))
        assertEquals([], filesHolding(toolRoot, 's3cret'))
    }

    @Test
    void aFailedInstallIsMaskedAndLeavesNoToolBehind() {
        Map helperOptions = [helperPython: fakePython().path, helperIndexUrl: 'https://pypi.example.com/simple/']
        Map<String, String> credentials = [VB_INDEX_USER: 'ci', VB_INDEX_PASSWORD: 'tok-s3cret', FAKE_PIP_EXIT: '1']

        assertEquals(5, runHelperScript('install-helper', helperOptions, credentials))

        assertFalse(log.toString(), log.toString().contains('s3cret'))
        assertTrue(log.toString(), log.toString().contains('ERROR: 401 Unauthorized for url: https://****@pypi.example.com/simple/venvbuild/'))
        String key = HelperTool.key(LOCK, '0.1.0', fakePython().path)
        assertEquals("venvbuild: error: could not install the helper from its lock (${key}) into ${toolRoot.path}\n".toString(),
            stderrOf('install-helper'))
        assertEquals([], toolRoot.list() as List)
    }

    @Test
    void reportsAToolVenvThatCannotBeCreated() {
        assertEquals(5, runHelperScript('install-helper', [helperPython: 'no-such-python3']))

        assertEquals("venvbuild: error: could not create the helper's tool venv with helperPython 'no-such-python3'\n",
            stderrOf('install-helper'))
    }

    @Test
    void twoBuildsInstallingAtOnceEndWithOneTool() {
        Map helperOptions = [helperPython: fakePython().path]
        List<StringBuilder> logs = [new StringBuilder(), new StringBuilder()]
        List<Integer> codes = [null, null]
        List<Thread> builds = [0, 1].collect { int i ->
            Thread.start { codes[i] = runHelperScript('install-helper', helperOptions, [FAKE_PIP_SLEEP: '1'], logs[i]) }
        }
        builds*.join()

        assertEquals(logs.toString(), [0, 0], codes)
        String key = HelperTool.key(LOCK, '0.1.0', fakePython().path)
        assertEquals('one tool, no temporary folder left', [key], toolRoot.list() as List)
        assertEquals(logs.toString(), 1, logs.count { it.toString().contains("another build installed ${toolRoot.path}/${key} first; using it") })
    }
}
