import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertTrue

import io.venvbuild.StageEnvironment
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder

/**
 * The scripts in resources/venvbuild/ run for real with sh, with the environment StageEnvironment builds
 * and a stand-in helper that prints its arguments, one per line.
 */
class LibraryScriptsTest {

    static final File RESOURCES = new File(PipelineTestBase.PROJECT_DIR, 'resources/venvbuild')

    @Rule
    public TemporaryFolder temporaryFolder = new TemporaryFolder()

    File workspace
    File fakeHelper
    StringBuilder log = new StringBuilder()
    Map options = [envName        : 'demo', requirements: 'requirements.txt', requirePinned: true,
                   failOnConflicts: true, prefix: 'venv-builds', helperPython: 'python3']

    @Before
    void writeFakeHelper() {
        workspace = temporaryFolder.newFolder('workspace')
        fakeHelper = new File(temporaryFolder.root, 'fake-venvbuild')
        fakeHelper.text = '''#!/bin/sh
if [ "$1" = --version ]; then echo "venvbuild 0.1.0"; exit 0; fi
printf '%s\\n' "$@"
if [ -n "${FAKE_EXIT:-}" ]; then echo "venvbuild: error: fake failure" >&2; exit "$FAKE_EXIT"; fi
'''
        fakeHelper.setExecutable(true)
        options.helperCommand = fakeHelper.path
    }

    int run(String script, String command, Map<String, String> extraEnv = [:]) {
        Map<String, String> env = [:]
        PipelineTestBase.applyWithEnv(env, StageEnvironment.of(options, '0.1.0') + StageEnvironment.forCommand(command))
        return ShellRunner.run([script: new File(RESOURCES, script).text, env: env + extraEnv, cwd: workspace], log)
    }

    List<String> helperArguments() {
        return log.readLines().findAll { !it.startsWith('+ venvbuild') && !it.startsWith('venvbuild: error') }
    }

    @Test
    void validatePassesEveryOptionAsOneArgument() {
        options += [requirements : 'my reqs; $(id) `id`.txt', pythonVersion: '3.11', requirePinned: false,
                    installer    : 'uv', compression: 'zst']

        assertEquals(0, run('run-stage.sh', 'validate'))

        assertEquals(['validate', '--work-dir', 'venvbuild-work', '--requirements', 'my reqs; $(id) `id`.txt',
                      '--env-name', 'demo', '--python', '3.11', '--allow-unpinned', '--installer', 'uv',
                      '--compression', 'zst'], helperArguments())
    }

    @Test
    void validateLeavesOutOptionsThatAreNotSet() {
        assertEquals(0, run('run-stage.sh', 'validate'))

        assertEquals(['validate', '--work-dir', 'venvbuild-work', '--requirements', 'requirements.txt',
                      '--env-name', 'demo'], helperArguments())
    }

    @Test
    void inspectFailsOnConflictsOnlyWhenAsked() {
        run('run-stage.sh', 'inspect')
        assertEquals(['inspect', '--work-dir', 'venvbuild-work', '--fail-on-conflicts'], helperArguments())

        log = new StringBuilder()
        options.failOnConflicts = false
        run('run-stage.sh', 'inspect')
        assertEquals(['inspect', '--work-dir', 'venvbuild-work'], helperArguments())
    }

    @Test
    void publishGivesTheStoreRegionAndEndpoint() {
        options += [bucket: 'team-venvs', prefix: 'ml/venvs', region: 'eu-west-1', endpointUrl: 'http://minio:9000']

        assertEquals(0, run('run-stage.sh', 'publish'))

        assertEquals(['publish', 'venvbuild-work/artifacts', '--store', 's3://team-venvs/ml/venvs', '--next-free-version',
                      '--region', 'eu-west-1', '--endpoint-url', 'http://minio:9000'], helperArguments())
    }

    @Test
    void publishGivesEncryptionAndChecksumOptions() {
        options += [bucket              : 'team-venvs', sse: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k 1',
                    checksumWhenRequired: true]

        assertEquals(0, run('run-stage.sh', 'publish'))

        assertEquals(['publish', 'venvbuild-work/artifacts', '--store', 's3://team-venvs/venv-builds', '--next-free-version',
                      '--sse', 'aws:kms', '--kms-key-id', 'arn:aws:kms:eu-west-1:1:key/k 1', '--checksum-when-required'],
            helperArguments())
    }

    @Test
    void publishLeavesOutEncryptionAndChecksumOptionsThatAreNotSet() {
        options += [bucket: 'team-venvs', checksumWhenRequired: false]

        assertEquals(0, run('run-stage.sh', 'publish'))

        assertEquals(['publish', 'venvbuild-work/artifacts', '--store', 's3://team-venvs/venv-builds', '--next-free-version'], helperArguments())
    }

    @Test
    void keepsTheHelpersExitCodeAndStderr() {
        assertEquals(3, run('run-stage.sh', 'validate', [FAKE_EXIT: '3']))

        assertEquals('venvbuild: error: fake failure\n', new File(workspace, '.venvbuild-logs/validate.stderr').text)
        assertTrue(log.toString().contains('venvbuild: error: fake failure'))
    }

    @Test
    void refusesAnUnknownStage() {
        assertEquals(2, run('run-stage.sh', 'deploy'))

        assertEquals("venvbuild: error: unknown stage 'deploy'\n", new File(workspace, '.venvbuild-logs/deploy.stderr').text)
    }

    @Test
    void usesAnInstalledHelperCommand() {
        assertEquals(0, run('install-helper.sh', 'install-helper'))

        assertTrue(log.toString().contains('venvbuild 0.1.0'))
        assertFalse(new File(workspace, '.venvbuild-tool').exists())
    }

    @Test
    void reportsAMissingHelperCommand() {
        options.helperCommand = 'no-such-venvbuild'

        assertEquals(2, run('install-helper.sh', 'install-helper'))

        assertEquals("venvbuild: error: helperCommand 'no-such-venvbuild' is not a command on this agent\n",
            new File(workspace, '.venvbuild-logs/install-helper.stderr').text)
    }

    @Test
    void keepsAToolVenvInstalledFromTheSameRequirement() {
        options.remove('helperCommand')
        File toolBin = new File(workspace, '.venvbuild-tool/bin')
        toolBin.mkdirs()
        new File(toolBin, 'venvbuild').bytes = fakeHelper.bytes
        new File(toolBin, 'venvbuild').setExecutable(true)
        new File(workspace, '.venvbuild-tool/venvbuild-requirement.txt').text = 'venvbuild==0.1.0\n'

        assertEquals(0, run('install-helper.sh', 'install-helper'))

        assertTrue(log.toString(), log.toString().contains('already installed in .venvbuild-tool: venvbuild==0.1.0'))
    }

    @Test
    void reportsAToolVenvThatCannotBeCreated() {
        options.remove('helperCommand')
        options.helperPython = 'no-such-python3'

        assertEquals(5, run('install-helper.sh', 'install-helper'))

        assertEquals("venvbuild: error: could not create the helper's tool venv .venvbuild-tool with helperPython " +
            "'no-such-python3'\n", new File(workspace, '.venvbuild-logs/install-helper.stderr').text)
    }

    static final String SECRET_REQUIREMENT = 'git+https://ci-bot:s3cret-token@git.example.com/team/venvbuild.git@v0.1.0'
    static final String MASKED_REQUIREMENT = 'git+https://****@git.example.com/team/venvbuild.git@v0.1.0'

    /** A python3 stand-in: `-m venv DIR` makes DIR/bin/python acting as pip (prints the requirement, exits FAKE_PIP_EXIT). */
    File fakePython() {
        File python = new File(temporaryFolder.root, 'fake-python3')
        python.text = '''#!/bin/sh
[ "$1" = -m ] && [ "$2" = venv ] || exit 1
mkdir -p "$3/bin"
cp "$FAKE_HELPER" "$3/bin/venvbuild"
cat > "$3/bin/python" <<'PIP'
#!/bin/sh
echo "Collecting $5"
echo "ERROR: git clone $5 failed" >&2
exit "${FAKE_PIP_EXIT:-0}"
PIP
chmod +x "$3/bin/python"
'''
        python.setExecutable(true)
        return python
    }

    @Test
    void masksCredentialsInAnInstalledRequirement() {
        options.remove('helperCommand')
        options += [helperRequirement: SECRET_REQUIREMENT, helperPython: fakePython().path]

        assertEquals(0, run('install-helper.sh', 'install-helper', [FAKE_HELPER: fakeHelper.path]))

        assertFalse(log.toString(), log.toString().contains('s3cret'))
        assertTrue(log.toString(), log.toString().contains("Collecting ${MASKED_REQUIREMENT}"))
        assertTrue(log.toString(), log.toString().contains('venvbuild 0.1.0'))
        assertEquals("${SECRET_REQUIREMENT}\n".toString(), new File(workspace, '.venvbuild-tool/venvbuild-requirement.txt').text)
    }

    @Test
    void masksCredentialsWhenTheInstallFails() {
        options.remove('helperCommand')
        options += [helperRequirement: SECRET_REQUIREMENT, helperPython: fakePython().path]

        assertEquals(5, run('install-helper.sh', 'install-helper', [FAKE_HELPER: fakeHelper.path, FAKE_PIP_EXIT: '1']))

        assertFalse(log.toString(), log.toString().contains('s3cret'))
        assertTrue(log.toString(), log.toString().contains("ERROR: git clone ${MASKED_REQUIREMENT} failed"))
        assertEquals("venvbuild: error: could not install the helper '${MASKED_REQUIREMENT}' into .venvbuild-tool\n".toString(),
            new File(workspace, '.venvbuild-logs/install-helper.stderr').text)
    }

    @Test
    void masksCredentialsInAToolVenvKeptFromTheSameRequirement() {
        options.remove('helperCommand')
        options.helperRequirement = 'https://tok@h.example/a.whl https://u:p@h.example/b.whl'
        File toolBin = new File(workspace, '.venvbuild-tool/bin')
        toolBin.mkdirs()
        new File(toolBin, 'venvbuild').bytes = fakeHelper.bytes
        new File(toolBin, 'venvbuild').setExecutable(true)
        new File(workspace, '.venvbuild-tool/venvbuild-requirement.txt').text = "${options.helperRequirement}\n"

        assertEquals(0, run('install-helper.sh', 'install-helper'))

        assertTrue(log.toString(), log.toString().contains(
            'already installed in .venvbuild-tool: https://****@h.example/a.whl https://****@h.example/b.whl'))
    }

    @Test
    void reuseLooksUpAtValidateAndReturnsTheWinnerAtPublish() {
        options += [reuse: true, bucket: 'team-venvs', region: 'eu-west-1']

        assertEquals(0, run('run-stage.sh', 'validate'))
        assertEquals(['validate', '--work-dir', 'venvbuild-work', '--requirements', 'requirements.txt',
                      '--env-name', 'demo', '--reuse', '--store', 's3://team-venvs/venv-builds',
                      '--region', 'eu-west-1'], helperArguments())

        log = new StringBuilder()
        assertEquals(0, run('run-stage.sh', 'publish'))
        assertEquals(['publish', 'venvbuild-work/artifacts', '--store', 's3://team-venvs/venv-builds',
                      '--next-free-version', '--reuse', '--reused-to', 'venvbuild-work/reused.json',
                      '--region', 'eu-west-1'], helperArguments())
    }

    @Test
    void tagPassesEveryValueAsOneArgument() {
        options += [bucket: 'team-venvs', endpointUrl: 'http://127.0.0.1:9000']

        assertEquals(0, run('run-tag.sh', 'tag', [VB_VERSION: 'venv_20250722_163000', VB_TAG: 'st$(id)', VB_REMOVE: 'true']))

        assertEquals(['tag', 'venv_20250722_163000', 'st$(id)', '--store', 's3://team-venvs/venv-builds', '--remove',
                      '--endpoint-url', 'http://127.0.0.1:9000'], helperArguments())
    }
}
