import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertTrue

import io.venvbuild.BuildPaths
import io.venvbuild.HelperTool
import io.venvbuild.StageEnvironment
import io.venvbuild.TagVenvOptions
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder

/**
 * The scripts in resources/venvbuild/ run for real with sh, with the environment the steps build:
 * run-stage.sh against a stand-in helper that prints its arguments, one per line; install-helper.sh
 * against a stand-in python3 whose venv's pip "installs" the one fake wheel of the lock (its --version
 * answers what the wheel holds); every other Python the script runs (probes, digests, the hash check of
 * the wheel cache) is the real python3. The real install from a local index is in
 * BuildVenvDefaultInstallEndToEndTest.
 */
class LibraryScriptsTest {

    static final File RESOURCES = new File(PipelineTestBase.PROJECT_DIR, 'resources/venvbuild')
    // The fake wheel: what the stand-in pip installs, and what the tool's --version then answers.
    static final String WHEEL_NAME = 'venvbuild-0.1.0-py3-none-any.whl'
    static final String WHEEL = 'venvbuild 0.1.0\n'
    static final String LOCK = '# python: >=3.10\nvenvbuild==0.1.0 \\\n    --hash=sha256:' + sha256(WHEEL) + '\n'

    static String sha256(String text) {
        return java.security.MessageDigest.getInstance('SHA-256').digest(text.getBytes('UTF-8')).encodeHex().toString()
    }

    @Rule
    public TemporaryFolder temporaryFolder = new TemporaryFolder()

    File workspace
    File workspaceTmp
    File toolRoot
    File fakeHelper
    StringBuilder log = new StringBuilder()
    Map options = [envName        : 'demo', requirements: 'requirements.txt', requirePinned: true,
                   failOnConflicts: true, prefix: 'venv-builds', helperPython: 'python3']
    Map paths = BuildPaths.of('demo', null)

    @Before
    void writeFakeHelper() {
        workspace = temporaryFolder.newFolder('workspace')
        workspaceTmp = temporaryFolder.newFolder('workspace@tmp')
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

    /** install-helper.sh or verify-helper as a step runs it; helperOptions may give toolDir, the call's helper folder. */
    int runHelperScript(String command, Map helperOptions, Map<String, String> extraEnv = [:], StringBuilder out = log) {
        Map<String, String> env = [:]
        Map all = HelperTool.DEFAULTS + [helperToolRoot: toolRoot.path] + helperOptions.findAll { it.key != 'toolDir' }
        String toolDir = helperOptions.toolDir ?: "${workspaceTmp.path}/venvbuild/demo/default/helper"
        File lockFile = new File(new File(toolDir).parentFile, 'helper-lock.txt')
        lockFile.parentFile.mkdirs()
        lockFile.text = LOCK
        PipelineTestBase.applyWithEnv(env, HelperTool.environment(all, '0.1.0', "${paths.logDir}/helper.info", lockFile.path, toolDir) +
            ["VB_STAGE=${command}".toString(), "VB_STDERR_FILE=${paths.logDir}/${command}.stderr".toString()])
        return ShellRunner.run([script: new File(RESOURCES, 'install-helper.sh').text, env: env + extraEnv, cwd: workspace], out)
    }

    /** verify-helper with what install-helper reported (the step keeps it in the controller's memory). */
    int verifyHelper(Map helperOptions, Map info, Map<String, String> extraEnv = [:]) {
        return runHelperScript('verify-helper', helperOptions, [VB_HELPER_DIGEST: info.digest as String, VB_HELPER_TOOL: info.tool as String] + extraEnv)
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
     * A python3 stand-in: `-m venv DIR` makes DIR/bin/python, a copy of itself; that one acts as pip (download
     * writes the fake wheel into -d after FAKE_PIP_SLEEP seconds, or fails with FAKE_PIP_EXIT; install copies
     * the wheel found in --find-links into the venv) and as `-m venvbuild --version`. Its probe answers
     * FAKE_PY_VERSION and FAKE_MACHINE; FAKE_NO_ISOLATION makes it a Python without -I. Any other `-I -c`
     * runs the real python3.
     */
    File fakePython() {
        File python = new File(temporaryFolder.root, 'fake-python3')
        python.text = '''#!/bin/sh
if [ -n "${FAKE_NO_ISOLATION:-}" ]; then
    case "$1" in -V) echo "Python 2.7.18"; exit 0 ;; -I) echo "Unknown option: -I" >&2; exit 2 ;; esac
fi
case "$*" in
    "-m venv "*) mkdir -p "$3/bin" "$3/lib" && cp "$0" "$3/bin/python" && echo "home = /usr" > "$3/pyvenv.cfg" ;;
    "-I -c import hashlib, os, platform, sys"*)
        echo "${FAKE_PY_VERSION:-3.11.7} ${FAKE_MACHINE:-x86_64} $(sha256sum "$0" | cut -c1-64) $0" ;;
    "-I -c import os, sys"*"VB_FLOOR"*)
        [ "${FAKE_PY_VERSION:-3.11.7}" != 3.9.18 ] ;;
    "-I -c "*) exec python3 "$@" ;;
    "-I -m pip download "*)
        echo "Looking in indexes: ${PIP_INDEX_URL:-the agent's pip config}"
        sleep "${FAKE_PIP_SLEEP:-0}"
        if [ "${FAKE_PIP_EXIT:-0}" != 0 ]; then echo "ERROR: 401 Unauthorized for url: ${PIP_INDEX_URL:-}venvbuild/" >&2; exit "$FAKE_PIP_EXIT"; fi
        while [ "$1" != -d ]; do shift; done
        printf 'venvbuild 0.1.0\\n' > "$2/venvbuild-0.1.0-py3-none-any.whl" ;;
    "-I -m pip install "*)
        while [ "$1" != --find-links ]; do shift; done
        [ -f "$2/venvbuild-0.1.0-py3-none-any.whl" ] || { echo "ERROR: No matching distribution found for venvbuild==0.1.0" >&2; exit 1; }
        cp "$2/venvbuild-0.1.0-py3-none-any.whl" "$(dirname "$0")/../lib/installed" ;;
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

        assertEquals([command: fakeHelper.path, digest: '', key: '', tool: ''], helperInfo())
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
    void installsAFreshToolForEachCallFromTheSharedHashCheckedWheelCache() {
        Map helperOptions = [helperPython: fakePython().path]

        assertEquals(log.toString(), 0, runHelperScript('install-helper', helperOptions))

        Map first = helperInfo()
        File toolDir = new File(workspaceTmp, 'venvbuild/demo/default/helper')
        assertTrue(first.key, first.key ==~ /venvbuild-0\.1\.0-[0-9a-f]{16}/)
        assertEquals("${toolDir.path}/${first.key}".toString(), first.tool)
        assertEquals("${first.tool}/bin/venvbuild-run".toString(), first.command)
        assertTrue(first.digest ==~ /[0-9a-f]{64}/)
        assertEquals('only the tool is left in the call\'s folder', [first.key], toolDir.list() as List)
        assertEquals([WHEEL_NAME], new File(toolRoot, 'wheels').list() as List)
        assertTrue(log.toString().contains('Looking in indexes'))

        log = new StringBuilder()
        assertEquals(log.toString(), 0, runHelperScript('install-helper', helperOptions))
        assertFalse('the wheels come from the cache', log.toString().contains('Looking in indexes'))
        assertTrue(log.toString(), log.toString().contains("installing the venvbuild helper 0.1.0 from its lock into ${first.tool}"))
        assertEquals(first, helperInfo())
    }

    /**
     * What one build can do to the next on a static agent, where every build runs as the same user: rewrite
     * the helper it was given (and, as it can, any digest kept next to it), and put its own bytes in the
     * shared wheel cache under a wheel's name. The next build must not run any of it.
     */
    @Test
    void aLaterBuildNeverRunsAHelperAnEarlierBuildChanged() {
        Map helperOptions = [helperPython: fakePython().path]
        assertEquals(log.toString(), 0, runHelperScript('install-helper', helperOptions))
        File marker = new File(temporaryFolder.root, 'pwned')

        // Build 1's packages: every helper they can find is rewritten, its digest file too.
        String attack = """
for runner in \$(find '${toolRoot.path}' '${workspaceTmp.path}' -name venvbuild-run); do
    tool=\$(dirname "\$(dirname "\$runner")")
    chmod -R u+w "\$tool"
    printf '#!/bin/sh\\ntouch "${marker.path}"\\necho "venvbuild 0.1.0"\\n' > "\$runner"
    if [ -f "\$tool/venvbuild-tool.digest" ]; then
        (cd "\$tool" && { find . -type f ! -path ./venvbuild-tool.digest -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
          find . -type l -print | LC_ALL=C sort | while IFS= read -r l; do printf 'link %s %s\\n' "\$l" "\$(readlink "\$l")"; done
        } | sha256sum | cut -c1-64 > venvbuild-tool.digest)
    fi
done
printf 'venvbuild 0.1.0 PWNED\\n' > '${toolRoot.path}/wheels/${WHEEL_NAME}'
"""
        assertEquals(0, ShellRunner.run([script: attack, env: [:], cwd: workspace], log))

        // Build 2: installs the helper, checks it before credentials, and publishes with it.
        log = new StringBuilder()
        assertEquals(log.toString(), 0, runHelperScript('install-helper', helperOptions))
        Map info = helperInfo()
        assertEquals(log.toString(), 0, verifyHelper(helperOptions, info))
        StringBuilder publish = new StringBuilder()
        assertEquals(0, ShellRunner.run([script: "#!/bin/sh\nexec '${info.command}' --version", env: [:], cwd: workspace], publish))

        assertEquals('venvbuild 0.1.0', publish.toString().trim())
        assertFalse('the changed helper never ran', marker.exists())
        assertEquals('the cache holds the lock\'s bytes again', WHEEL, new File(toolRoot, "wheels/${WHEEL_NAME}").text)
    }

    @Test
    void aToolOrInterpreterChangedDuringTheBuildIsRefusedBeforeCredentials() {
        Map helperOptions = [helperPython: fakePython().path]
        assertEquals(0, runHelperScript('install-helper', helperOptions))
        Map info = helperInfo()
        assertEquals(log.toString(), 0, verifyHelper(helperOptions, info))

        assertEquals('another interpreter behind helperPython', 5, verifyHelper(helperOptions, info, [FAKE_PY_VERSION: '3.12.1']))

        // What the build's own packages could do: the agent's user can write the tool.
        new File(info.tool as String, 'lib/sitecustomize.py').text = 'import os\n'
        assertEquals(5, verifyHelper(helperOptions, info))
        assertEquals("venvbuild: error: the helper in ${info.tool} or its interpreter changed during this build; not running it with credentials\n".toString(),
            stderrOf('verify-helper'))
    }

    @Test
    void theToolsKeyNamesTheInterpreterItRunsOn() {
        Map helperOptions = [helperPython: fakePython().path]
        assertEquals(0, runHelperScript('install-helper', helperOptions, [FAKE_MACHINE: 'x86_64']))
        String x86 = helperInfo().key
        assertEquals(0, runHelperScript('install-helper', helperOptions, [FAKE_MACHINE: 'aarch64']))
        String arm = helperInfo().key
        assertEquals(0, runHelperScript('install-helper', helperOptions, [FAKE_MACHINE: 'aarch64', FAKE_PY_VERSION: '3.12.1']))
        String arm312 = helperInfo().key

        assertEquals(3, [x86, arm, arm312].unique().size())
        assertTrue(log.toString(), log.toString().contains('(Python 3.12.1, aarch64, '))
    }

    @Test
    void aPythonBelowTheHelpersFloorFailsInOneLine() {
        assertEquals(2, runHelperScript('install-helper', [helperPython: fakePython().path], [FAKE_PY_VERSION: '3.9.18']))

        assertEquals(("venvbuild: error: helperPython '${fakePython().path}' is Python 3.9.18 (${fakePython().path}); " +
            'the venvbuild helper needs Python >=3.10: set helperPython to a newer interpreter\n').toString(), stderrOf('install-helper'))
        assertFalse(log.toString().contains('Looking in indexes'))

        assertEquals(2, runHelperScript('install-helper', [helperPython: fakePython().path], [FAKE_NO_ISOLATION: '1']))
        assertEquals("venvbuild: error: helperPython '${fakePython().path}' (Python 2.7.18) cannot run the venvbuild helper, which needs Python >=3.10\n".toString(),
            stderrOf('install-helper'))
    }

    @Test
    void whatAnEarlierBuildLeftInTheCallsFolderIsRemovedEvenReadOnly() {
        File toolDir = new File(workspaceTmp, 'venvbuild/demo/default/helper')
        File left = new File(toolDir, 'venvbuild-0.1.0-0123456789abcdef/bin')
        left.mkdirs()
        new File(left, 'venvbuild-run').text = 'left behind'
        ShellRunner.run([script: "chmod -R a-w '${toolDir.path}'", env: [:], cwd: workspace], log)

        assertEquals(log.toString(), 0, runHelperScript('install-helper', [helperPython: fakePython().path]))

        assertEquals([helperInfo().key], toolDir.list() as List)
        assertFalse('no GNU-only mv -T', new File(RESOURCES, 'install-helper.sh').text.contains('mv -T'))
    }

    @Test
    void refusesAToolFolderInsideTheWorkspace() {
        assertEquals(2, runHelperScript('install-helper', [helperPython: fakePython().path, helperToolRoot: "${workspace.path}/tools".toString()]))

        assertEquals("venvbuild: error: the helper's tool folder ${workspace.path}/tools is inside the workspace; give helperToolRoot outside it\n".toString(),
            stderrOf('install-helper'))
    }

    @Test
    void indexCredentialsReachPipOnlyInItsEnvironmentAndAreMasked() {
        Map helperOptions = [helperPython: fakePython().path, helperIndexUrl: 'https://pypi.example.com/simple/']
        Map<String, String> credentials = [VB_INDEX_USER: 'ci reader', VB_INDEX_PASSWORD: 'p@ss:w/rd-s3cret']

        assertEquals(log.toString(), 0, runHelperScript('install-helper', helperOptions, credentials))

        assertTrue(log.toString(), log.toString().contains('Looking in indexes: https://****@pypi.example.com/simple/'))
        assertFalse(log.toString(), log.toString().contains('s3cret'))
        assertEquals([], filesHolding(workspace, 's3cret'))
        assertEquals([], filesHolding(workspaceTmp, 's3cret'))
        assertEquals([], filesHolding(toolRoot, 's3cret'))
    }

    @Test
    void aFailedInstallIsMaskedAndLeavesNoToolBehind() {
        Map helperOptions = [helperPython: fakePython().path, helperIndexUrl: 'https://pypi.example.com/simple/']
        Map<String, String> credentials = [VB_INDEX_USER: 'ci', VB_INDEX_PASSWORD: 'tok-s3cret', FAKE_PIP_EXIT: '1']

        assertEquals(5, runHelperScript('install-helper', helperOptions, credentials))

        assertFalse(log.toString(), log.toString().contains('s3cret'))
        assertTrue(log.toString(), log.toString().contains('ERROR: 401 Unauthorized for url: https://****@pypi.example.com/simple/venvbuild/'))
        assertTrue(stderrOf('install-helper'), stderrOf('install-helper') ==~
            /venvbuild: error: could not download the helper's wheels from its lock \(venvbuild-0\.1\.0-[0-9a-f]{16}\) into ${toolRoot.path}\/wheels\n/)
        assertEquals([], new File(workspaceTmp, 'venvbuild/demo/default/helper').list() as List)
    }

    @Test
    void reportsAMissingHelperPython() {
        assertEquals(2, runHelperScript('install-helper', [helperPython: 'no-such-python3']))

        assertEquals("venvbuild: error: helperPython 'no-such-python3' is not a command on this agent\n", stderrOf('install-helper'))
    }

    @Test
    void twoCallsInstallingAtOnceShareTheWheelCache() {
        Map helperOptions = [helperPython: fakePython().path]
        List<StringBuilder> logs = [new StringBuilder(), new StringBuilder()]
        List<Integer> codes = [null, null]
        List<Thread> builds = [0, 1].collect { int i ->
            Thread.start {
                codes[i] = runHelperScript('install-helper', helperOptions + [toolDir: "${workspaceTmp.path}/venvbuild/call-${i}/helper".toString()],
                    [FAKE_PIP_SLEEP: '1'], logs[i])
            }
        }
        builds*.join()

        assertEquals(logs.toString(), [0, 0], codes)
        assertEquals([WHEEL_NAME], new File(toolRoot, 'wheels').list() as List)
        [0, 1].each { assertEquals(1, new File(workspaceTmp, "venvbuild/call-${it}/helper").list().size()) }
    }

    @Test
    void reuseLooksUpAtValidateAndReturnsTheWinnerAtPublish() {
        options += [reuse: true, bucket: 'team-venvs', region: 'eu-west-1']

        assertEquals(0, runStage('validate'))
        assertEquals(['validate', '--work-dir', paths.workDir, '--requirements', 'requirements.txt',
                      '--env-name', 'demo', '--reuse', '--store', 's3://team-venvs/venv-builds',
                      '--region', 'eu-west-1'], helperArguments())

        log = new StringBuilder()
        assertEquals(0, runStage('publish'))
        assertEquals(['publish', "${paths.workDir}/artifacts".toString(), '--store', 's3://team-venvs/venv-builds',
                      '--next-free-version', '--reuse', '--reused-to', "${paths.workDir}/reused.json".toString(),
                      '--region', 'eu-west-1'], helperArguments())
    }

    @Test
    void tagPassesEveryValueAsOneArgument() {
        Map<String, String> env = [:]
        Map tagOptions = [version: 'venv_20250722_163000', tag: 'st$(id)', remove: true, bucket: 'team-venvs',
                          prefix: 'venv-builds', endpointUrl: 'http://127.0.0.1:9000']
        PipelineTestBase.applyWithEnv(env, TagVenvOptions.environment(tagOptions, fakeHelper.path) +
            ['VB_STAGE=tag', "VB_STDERR_FILE=${paths.logDir}/tag.stderr".toString()])

        assertEquals(0, ShellRunner.run([script: new File(RESOURCES, 'run-tag.sh').text, env: env, cwd: workspace], log))

        assertEquals(['tag', 'venv_20250722_163000', 'st$(id)', '--store', 's3://team-venvs/venv-builds', '--remove',
                      '--endpoint-url', 'http://127.0.0.1:9000'], helperArguments())
    }
}
