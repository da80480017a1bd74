import java.util.concurrent.TimeUnit

/**
 * A server the end-to-end tests run on 127.0.0.1 (a package index, moto's S3): its own process on a free
 * port, waited for until it answers, stopped by its process (never by name).
 */
class LocalServer {

    final Process process
    final int port
    final File log

    private LocalServer(Process process, int port, File log) {
        this.process = process
        this.port = port
        this.log = log
    }

    /** The Python the tests use: the active venv's, else the project's .venv, else python3 on PATH. */
    static String python() {
        String venv = System.getenv('VIRTUAL_ENV')
        File projectVenv = new File(PipelineTestBase.PROJECT_DIR, '.venv/bin/python')
        return venv ? "${venv}/bin/python" : (projectVenv.canExecute() ? projectVenv.path : 'python3')
    }

    static int freePort() {
        new ServerSocket(0, 1, InetAddress.getByName('127.0.0.1')).withCloseable { return it.localPort }
    }

    /** Starts command (PORT in it replaced by a free port) and waits until http://127.0.0.1:port/ answers. */
    static LocalServer start(List<String> command, File log) {
        int port = freePort()
        Process process = new ProcessBuilder(command.collect { it.replace('PORT', port as String) })
            .redirectErrorStream(true).redirectOutput(log).start()
        LocalServer server = new LocalServer(process, port, log)
        long deadline = System.currentTimeMillis() + 60000
        while (true) {
            try {
                HttpURLConnection connection = (HttpURLConnection) new URL("http://127.0.0.1:${port}/").openConnection()
                connection.connectTimeout = 1000
                connection.responseCode
                return server
            } catch (IOException ignored) {
                if (!process.alive || System.currentTimeMillis() > deadline) {
                    server.stop()
                    throw new IllegalStateException("${command} did not start: ${log.text}")
                }
                Thread.sleep(200)
            }
        }
    }

    String getUrl() {
        return "http://127.0.0.1:${port}"
    }

    void stop() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            process.waitFor()
        }
    }

    /** Runs a command to its end (5 minutes at most); its output, or an error with it when it fails. */
    static String run(List<String> command, Map<String, String> env = [:], File cwd = PipelineTestBase.PROJECT_DIR) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd).redirectErrorStream(true)
        builder.environment().putAll(env)
        Process process = builder.start()
        process.outputStream.close()
        StringBuilder out = new StringBuilder()
        Thread reader = Thread.start { out << process.inputStream.getText('UTF-8') }
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly()
            throw new IllegalStateException("${command} did not finish in 5 minutes")
        }
        reader.join()
        if (process.exitValue() != 0) {
            throw new IllegalStateException("${command} failed with ${process.exitValue()}: ${out}")
        }
        return out.toString()
    }
}
