import java.util.concurrent.TimeUnit

/** Runs an `sh` step's script for real, as Jenkins does: its #! interpreter, else `sh -xe`. */
class ShellRunner {

    static final long TIMEOUT_MINUTES = 5

    /** Runs call.script in call.cwd with the agent's environment plus call.env; output goes to log. */
    static int run(Map call, StringBuilder log) {
        String script = call.script
        File scriptFile = File.createTempFile('jenkins-sh', '.sh')
        try {
            scriptFile.text = script
            List<String> interpreter = script.startsWith('#!') ?
                script.readLines().first().substring(2).trim().split(/\s+/) as List : ['sh', '-xe']
            ProcessBuilder builder = new ProcessBuilder(interpreter + [scriptFile.path])
                .directory(call.cwd as File)
                .redirectErrorStream(true)
            builder.environment().putAll(call.env as Map<String, String>)
            Process process = builder.start()
            process.outputStream.close()
            Thread reader = Thread.start { log << process.inputStream.getText('UTF-8') }
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly()
                throw new IllegalStateException("script did not finish in ${TIMEOUT_MINUTES} minutes")
            }
            reader.join()
            return process.exitValue()
        } finally {
            scriptFile.delete()
        }
    }

    static boolean onPath(String command) {
        return System.getenv('PATH').split(File.pathSeparator).any { new File(it, command).canExecute() }
    }
}
