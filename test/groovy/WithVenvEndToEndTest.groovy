import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue

import org.junit.Before
import org.junit.Test

/**
 * withVenv drives the real venvbuild helper: a build made here with the real `venvbuild build` (a hand-made
 * wheel, no network) in a local store is pulled by the step's script into a cache folder, and the body's
 * environment really runs the venv's python; a second use of the build on the agent finds it cached.
 */
class WithVenvEndToEndTest extends PipelineTestBase {

    StringBuilder log = new StringBuilder()
    List<Map> bodyCalls = []
    File store
    File cache

    @Before
    void buildOneForReal() {
        BuildVenvEndToEndTest.requireHelper(ShellRunner.onPath('venvbuild'), System.getenv('CI'))
        shHandler = { Map call -> ShellRunner.run(call, log) }
        File requirements = TinyWheel.requirements(temporaryFolder.root)
        store = new File(temporaryFolder.root, 'a store')
        cache = new File(temporaryFolder.root, 'agent cache')
        Process build = new ProcessBuilder('venvbuild', 'build', '--requirements', requirements.path, '--env-name',
            'tiny-pull', '--store', store.path).redirectErrorStream(true).start()
        String output = build.inputStream.getText('UTF-8')
        assertEquals(output, 0, build.waitFor())
    }

    Object withVenv(Map args) {
        try {
            return loadStep('withVenv').call([helperCommand: 'venvbuild'] + args,
                WithVenvTest.recordingBody(bodyCalls, env, 'done'))
        } catch (Throwable e) {
            println(log)
            throw e
        }
    }

    @Test
    void pullsTheNewestBuildOnceAndItsPythonRunsInTheBody() {
        assertEquals('done', withVenv(envName: 'tiny-pull', store: store.path, cacheDir: cache.path))
        assertEquals('done', withVenv(envName: 'tiny-pull', store: store.path, cacheDir: cache.path))

        File[] pulled = cache.listFiles().findAll { !it.name.startsWith('.') }
        assertEquals(log.toString(), 1, pulled.length)
        String dest = pulled[0].path
        assertTrue(echoes[0], echoes[0].startsWith('withVenv: tiny-pull venv_') && echoes[0].endsWith("pulled at ${dest}"))
        assertTrue(echoes[1], echoes[1].endsWith("already at ${dest}"))
        Map body = bodyCalls[1]
        assertEquals(dest, body.env.VIRTUAL_ENV)

        File out = new File(workspace, 'out.txt')
        int status = ShellRunner.run([script: 'python -c "import sys, tinypkg; print(sys.prefix, tinypkg.__version__)" > out.txt',
                                      env: body.env, cwd: workspace], log)
        assertEquals(log.toString(), 0, status)
        assertEquals("${dest} 1.0".toString(), out.text.trim())
    }

    @Test
    void aCachedVenvChangedBetweenTwoCallsIsPulledAgainAndTheBodyRunsTheOriginal() {
        withVenv(envName: 'tiny-pull', store: store.path, cacheDir: cache.path)
        String dest = bodyCalls[0].env.VIRTUAL_ENV
        File module = new File(new File(dest, 'lib').listFiles()[0], 'site-packages/tinypkg/__init__.py')
        // What a body sharing the agent's cache did: made the module writable again and changed it.
        assertEquals(log.toString(), 0, ShellRunner.run([script: 'chmod u+w "$F" && echo "__version__ = \'evil\'" > "$F"',
                                                          env: [F: module.path], cwd: workspace], log))

        withVenv(envName: 'tiny-pull', store: store.path, cacheDir: cache.path)

        assertTrue(echoes[1], echoes[1].endsWith("pulled at ${dest}"))
        assertEquals(dest, bodyCalls[1].env.VIRTUAL_ENV)
        File out = new File(workspace, 'out.txt')
        assertEquals(log.toString(), 0, ShellRunner.run([script: 'python -c "import tinypkg; print(tinypkg.__version__)" > out.txt',
                                                          env: bodyCalls[1].env, cwd: workspace], log))
        assertEquals('1.0', out.text.trim())
    }

    @Test
    void anUnknownEnvIsTheHelpersOneLine() {
        String message = errorFrom { withVenv(envName: 'nobody', store: store.path, cacheDir: cache.path) }
        assertTrue(message, message.startsWith('withVenv: pull failed with exit code 2 (bad usage or bad input): ' +
            'venvbuild: error: --env-name nobody: no build of that env in'))
        assertEquals([], bodyCalls)
    }
}
