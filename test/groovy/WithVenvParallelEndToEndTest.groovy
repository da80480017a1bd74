import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertNotEquals

import groovy.json.JsonSlurperClassic
import io.venvbuild.WithVenvOptions
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.TimeUnit
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder

/**
 * Two parallel branches of one job using the same env, each pinned to its own build, on real threads:
 * each runs withVenv's scripts for real (pull-venv.sh with the environment WithVenvOptions gives it, a body,
 * after-venv.sh) in the one workspace and agent cache they share, as a Jenkins `parallel` does. Not
 * JenkinsPipelineUnit's `parallel`, which runs branches one after the other.
 */
class WithVenvParallelEndToEndTest {

    @Rule
    public TemporaryFolder temporaryFolder = new TemporaryFolder()

    Map<String, StringBuilder> logs = [:].asSynchronized()   // version -> its branch's output
    File store
    File cache
    File workspace
    Map<String, String> shaOf = [:]   // venv_version -> archive sha256

    @Before
    void buildTwoForReal() {
        BuildVenvEndToEndTest.requireHelper(ShellRunner.onPath('venvbuild'), System.getenv('CI'))
        File requirements = TinyWheel.requirements(temporaryFolder.root)
        store = new File(temporaryFolder.root, 'a store')
        cache = new File(temporaryFolder.root, 'agent cache')
        workspace = temporaryFolder.newFolder('workspace')
        [['gz'], ['zst']].each { List<String> compression ->
            Process build = new ProcessBuilder(['venvbuild', 'build', '--requirements', requirements.path, '--env-name',
                'tiny-pull', '--store', store.path, '--compression', compression[0], '--json']).start()
            String output = build.inputStream.getText('UTF-8')
            String errors = build.errorStream.getText('UTF-8')
            assertEquals(errors, 0, build.waitFor())
            Map meta = new JsonSlurperClassic().parseText(output).metadata as Map
            shaOf[meta.venv_version as String] = meta.archive_sha256 as String
        }
        assertEquals('two builds, two archives', 2, shaOf.values().toSet().size())
    }

    static Map<String, String> entries(List<String> withEnv) {
        return withEnv.collectEntries { String entry ->
            int equals = entry.indexOf('=')
            [(entry.substring(0, equals)): entry.substring(equals + 1)]
        }.findAll { name, value -> value } as Map<String, String>
    }

    String script(String name) {
        return new File(PipelineTestBase.PROJECT_DIR, "resources/venvbuild/${name}").text
    }

    /** One branch: withVenv(envName: 'tiny-pull', version: version) { sh 'python ...' }, its steps in order. */
    Map branch(String version, CyclicBarrier pulled) {
        StringBuilder log = new StringBuilder()
        logs[version] = log
        Map options = [envName: 'tiny-pull', version: version, store: store.path, cacheDir: cache.path, prefix: 'venv-builds',
                       helperCommand: 'venvbuild', writable: false]
        String logDir = WithVenvOptions.logDir(WithVenvOptions.callId(options))
        Map<String, String> pullEnv = entries(WithVenvOptions.environment(options, 'venvbuild', logDir)) +
            [VB_STAGE: 'pull', VB_STDERR_FILE: "${logDir}/pull.stderr".toString()]
        int status = ShellRunner.run([script: script('pull-venv.sh'), env: pullEnv, cwd: workspace], log)
        pulled.await(2, TimeUnit.MINUTES)   // both pulls done before either branch reads its answer
        assertEquals(log.toString(), 0, status)
        Map receipt = WithVenvOptions.pulled(new File(workspace, "${logDir}/pull.json").text)
        File out = new File(workspace, "${logDir}/body.out")
        Map<String, String> bodyEnv = [VIRTUAL_ENV: receipt.dest as String, OUT: out.path,
                                       PATH: "${receipt.dest}/bin${File.pathSeparator}${System.getenv('PATH')}".toString()]
        assertEquals(log.toString(), 0, ShellRunner.run([script: 'python -c "import sys; print(sys.prefix)" > "$OUT"',
                                                          env: bodyEnv, cwd: workspace], log))
        Map<String, String> afterEnv = entries(WithVenvOptions.afterEnvironment(options, 'venvbuild', logDir, null)) +
            [VB_STAGE: 'after', VB_STDERR_FILE: "${logDir}/after.stderr".toString()]
        assertEquals(log.toString(), 0, ShellRunner.run([script: script('after-venv.sh'), env: afterEnv, cwd: workspace], log))
        return [version: receipt.venvVersion, prefix: out.text.trim(), logDir: logDir]
    }

    @Test
    void twoBranchesOnRealThreadsEachRunTheirOwnBuild() {
        List<String> versions = shaOf.keySet().sort()
        CyclicBarrier pulled = new CyclicBarrier(2)
        Map<String, Object> results = [:].asSynchronized()
        List<Thread> threads = versions.collect { String version ->
            Thread.start {
                try {
                    results[version] = branch(version, pulled)
                } catch (Throwable e) {
                    results[version] = e
                    pulled.reset()
                }
            }
        }
        threads*.join(TimeUnit.MINUTES.toMillis(5))
        versions.each { String version ->
            Object result = results[version]
            if (result instanceof Throwable) {
                throw new AssertionError("branch ${version}: ${result}\n${logs[version]}", result as Throwable)
            }
            Map found = result as Map
            assertEquals(version, found.version)
            assertEquals(new File(cache, shaOf[version]).path, found.prefix)
        }
        assertNotEquals((results[versions[0]] as Map).logDir, (results[versions[1]] as Map).logDir)
    }
}
