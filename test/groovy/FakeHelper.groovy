import groovy.json.JsonOutput

/**
 * Stands in for the venvbuild helper behind the mocked `sh`: answers each command (VB_STAGE) with the
 * files the real one writes, or with an exit code and a one-line error on stderr.
 */
class FakeHelper {

    static final String VENV_VERSION = 'venv_20261125_150000'
    static final String SHA256 = 'a' * 64

    Map<String, Integer> exitCodes = [:]   // command -> exit code
    Map<String, String> errors = [:]       // command -> message after 'venvbuild: error: '
    boolean conflictFree = true
    String reusedBy = null                 // 'validate' or 'publish': that command returns a published build
    List<String> commands = []

    int run(Map call) {
        Map<String, String> env = call.env
        String command = env.VB_STAGE
        commands << command
        File workDir = new File(call.cwd as File, env.VB_WORK_DIR)
        File artifacts = new File(workDir, 'artifacts')
        int status = exitCodes[command] ?: 0
        File stderr = new File(call.cwd as File, env.VB_STDERR_FILE)
        stderr.parentFile.mkdirs()
        stderr.text = status ? "a warning first\nvenvbuild: error: ${errors[command]}\n" : ''
        if (status) {
            return status
        }
        if (command == reusedBy && env.VB_REUSE == 'true') {
            writeMetadata(workDir, 'reused.json', env, "${env.VB_STORE}/venv_20250101_000000/venv_20250101_000000.tar.gz",
                'venv_20250101_000000')
            return 0
        }
        switch (command) {
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
                new File(artifacts, "${VENV_VERSION}.tar.gz").text = 'tarball'
                break
            case 'metadata':
                writeMetadata(artifacts, env, "file://${artifacts.absolutePath}/${VENV_VERSION}.tar.gz")
                break
            case 'publish':
                writeMetadata(artifacts, env, "${env.VB_STORE}/${VENV_VERSION}/${VENV_VERSION}.tar.gz")
                break
        }
        return 0
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
