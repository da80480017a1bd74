import groovy.json.JsonOutput

/**
 * Stands in for the venvbuild helper behind the mocked `sh`: answers each command (VB_STAGE) with the
 * files the real one writes, or with an exit code and a one-line error on stderr, or throws what Jenkins
 * throws into a running step (an abort, a lost agent).
 */
class FakeHelper {

    static final String VENV_VERSION = 'venv_20261125_150000'
    static final String SHA256 = 'a' * 64
    static final String TOOL_COMMAND = '/home/jenkins/.cache/venvbuild/helpers/venvbuild-0.1.0-0123/bin/venvbuild-run'
    static final String TOOL_DIGEST = 'd' * 64
    static final String PULL_CACHE = '/home/jenkins/.cache/venvbuild/envs'

    Map<String, Integer> exitCodes = [:]   // command -> exit code
    Map<String, String> errors = [:]       // command -> message after 'venvbuild: error: '
    Map<String, Throwable> throwing = [:]  // command -> what the sh step throws instead of running
    boolean conflictFree = true
    String reusedBy = null                 // 'validate' or 'publish': that command returns a published build
    List<String> commands = []

    int run(Map call) {
        Map<String, String> env = call.env
        String command = env.VB_STAGE
        commands << command
        if (throwing[command]) {
            throw throwing[command]
        }
        File cwd = call.cwd as File
        File stderr = new File(cwd, env.VB_STDERR_FILE)
        stderr.parentFile.mkdirs()
        int status = exitCodes[command] ?: 0
        if (command == 'inspect' && !conflictFree && !status) {
            // The real inspect always runs with --fail-on-conflicts: reports first, then exit 4.
            status = 4
            errors.inspect = '1 dependency conflict(s), first: b 1.0 needs a<2, a 2.0 is installed'
        }
        stderr.text = status ? "a warning first\nvenvbuild: error: ${errors[command]}\n" : ''
        if (status && command != 'inspect') {
            return status
        }
        File workDir = env.VB_WORK_DIR ? new File(cwd, env.VB_WORK_DIR) : null
        File artifacts = workDir ? new File(workDir, 'artifacts') : null
        if (command == reusedBy && env.VB_REUSE == 'true') {
            writeMetadata(workDir, 'reused.json', env, "${env.VB_STORE}/venv_20250101_000000/venv_20250101_000000.tar.gz",
                'venv_20250101_000000')
            return 0
        }
        switch (command) {
            case 'install-helper':
                File info = new File(cwd, env.VB_HELPER_INFO)
                info.parentFile.mkdirs()
                info.text = "command=${env.VB_HELPER_COMMAND ?: TOOL_COMMAND}\ndigest=${env.VB_HELPER_COMMAND ? '' : TOOL_DIGEST}\n" +
                    "tool=${env.VB_HELPER_COMMAND ? '' : new File(TOOL_COMMAND).parentFile.parent}\n"
                break
            case 'validate':
                artifacts.mkdirs()
                new File(artifacts, 'requirements.txt').text = 'tinypkg==1.0\n'
                break
            case 'install':
                new File(workDir, 'install.log').text = 'installed\n'
                break
            case 'inspect':
                new File(artifacts, 'pipdeptree.txt').text = 'tinypkg==1.0\n'
                break
            case 'package':
                new File(artifacts, "${VENV_VERSION}.tar.gz").text = "tarball of ${env.VB_ENV_NAME} ${env.VB_PYTHON_VERSION}"
                break
            case 'metadata':
                writeMetadata(artifacts, env, "file://${artifacts.absolutePath}/${VENV_VERSION}.tar.gz")
                break
            case 'publish':
                writeMetadata(artifacts, env, "${env.VB_STORE}/${VENV_VERSION}/${VENV_VERSION}.tar.gz")
                break
            case 'pull':
                File result = new File(cwd, env.VB_RESULT_FILE)
                result.parentFile.mkdirs()
                result.text = JsonOutput.toJson([
                    env_name: env.VB_ENV_NAME ?: 'demo', venv_version: env.VB_PULL_VERSION ?: VENV_VERSION,
                    dest: "${PULL_CACHE}/${SHA256}".toString(), archive_sha256: SHA256, reused: false,
                ]) + '\n'
                break
        }
        return status
    }

    private void writeMetadata(File artifacts, Map<String, String> env, String archiveUrl) {
        writeMetadata(artifacts, 'metadata.json', env, archiveUrl, VENV_VERSION)
    }

    private void writeMetadata(File folder, String name, Map<String, String> env, String archiveUrl, String version) {
        folder.mkdirs()
        new File(folder, name).text = JsonOutput.toJson([
            env_name        : env.VB_ENV_NAME,
            python_version  : env.VB_PYTHON_VERSION ?: '3.11',
            venv_version    : version,
            venv_archive    : archiveUrl,
            archive_sha256  : SHA256,
            is_conflict_free: conflictFree,
        ]) + '\n'
    }
}
