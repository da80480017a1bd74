import com.lesfurets.jenkins.unit.BasePipelineTest
import org.junit.Before
import org.junit.Rule
import org.junit.rules.TemporaryFolder

/**
 * Registers the Jenkins steps the library uses, once for all tests. File steps work on a real temporary
 * workspace; `sh` is recorded with the environment withEnv has set and answered by `shHandler`.
 */
abstract class PipelineTestBase extends BasePipelineTest {

    // Gradle runs the tests from the project directory (build.gradle: test.workingDir).
    static final File PROJECT_DIR = new File(System.getProperty('user.dir')).canonicalFile

    /** What the `error` step throws, as Jenkins' AbortException does. */
    static class StepError extends RuntimeException {
        StepError(String message) { super(message) }
    }

    @Rule
    public TemporaryFolder temporaryFolder = new TemporaryFolder()

    File workspace
    Map<String, String> env = [:]
    List<String> dirStack = []
    List<Map> shCalls = []                 // [script:, env:, cwd:] for each sh call
    List<Map> archived = []                // archiveArtifacts arguments
    List<List> credentialBindings = []     // withCredentials bindings
    List<String> echoes = []
    Closure<Integer> shHandler = { Map call -> 0 }

    @Before
    @Override
    void setUp() {
        scriptRoots = [PROJECT_DIR.path] as String[]
        scriptExtension = 'groovy'
        super.setUp()
        workspace = temporaryFolder.newFolder('workspace')
        binding.setVariable('currentBuild', [result: 'SUCCESS', description: null])
        binding.setVariable('scm', [$class: 'GitSCM'])
        binding.setVariable('params', [:])
        registerSteps()
    }

    /** Loads a step from the working tree's vars/. */
    Script loadStep(String name) {
        return loadScript("vars/${name}.groovy")
    }

    File currentDir() {
        return dirStack ? new File(workspace, dirStack.join('/')) : workspace
    }

    File file(String path) {
        File given = new File(path)
        return given.absolute ? given : new File(currentDir(), path)
    }

    List<String> stageNames() {
        return helper.callStack.findAll { it.methodName == 'stage' }.collect { it.args[0] as String }
    }

    String result() {
        return binding.getVariable('currentBuild').result
    }

    /** Runs body and returns the message of the StepError it throws; fails when it throws none. */
    String errorFrom(Closure body) {
        try {
            body()
        } catch (StepError e) {
            return e.message
        }
        throw new AssertionError('expected the step to fail with error()')
    }

    private void registerSteps() {
        helper.registerAllowedMethod('libraryResource', [String], { String path ->
            File resource = new File(PROJECT_DIR, "resources/${path}")
            if (!resource.file) {
                throw new IllegalArgumentException("no library resource ${path}")
            }
            return resource.getText('UTF-8')
        })
        helper.registerAllowedMethod('withEnv', [List, Closure], { List entries, Closure body ->
            Map<String, String> saved = new LinkedHashMap(env)
            applyWithEnv(env, entries)
            try {
                return body()
            } finally {
                env.clear()
                env.putAll(saved)
            }
        })
        helper.registerAllowedMethod('sh', [Map], { Map args -> runSh(args.script as String, args.returnStatus == true) })
        helper.registerAllowedMethod('sh', [String], { String script -> runSh(script, false) })
        helper.registerAllowedMethod('dir', [String, Closure], { String path, Closure body ->
            dirStack.push(path)
            try {
                return body()
            } finally {
                dirStack.pop()
            }
        })
        helper.registerAllowedMethod('deleteDir', [], { currentDir().deleteDir() })
        helper.registerAllowedMethod('fileExists', [String], { String path -> file(path).exists() })
        helper.registerAllowedMethod('readFile', [String], { String path -> file(path).getText('UTF-8') })
        helper.registerAllowedMethod('writeFile', [Map], { Map args ->
            File target = file(args.file as String)
            target.parentFile.mkdirs()
            target.setText(args.text as String, 'UTF-8')
        })
        helper.registerAllowedMethod('archiveArtifacts', [Map], { Map args -> archived << args })
        helper.registerAllowedMethod('withCredentials', [List, Closure], { List bindings, Closure body ->
            credentialBindings << bindings
            Map<String, String> saved = new LinkedHashMap(env)
            bindings.findAll { it instanceof Map && it.$class == 'AmazonWebServicesCredentialsBinding' }.each {
                env[it.accessKeyVariable as String] = 'test-access-key'
                env[it.secretKeyVariable as String] = 'test-secret-key'
            }
            try {
                return body()
            } finally {
                env.clear()
                env.putAll(saved)
            }
        })
        helper.registerAllowedMethod('error', [String], { String message ->
            updateBuildStatus('FAILURE')
            throw new StepError(message)
        })
        helper.registerAllowedMethod('echo', [String], { String message -> echoes << message })
        ['string', 'choice', 'booleanParam'].each { String type ->
            helper.registerAllowedMethod(type, [Map], { Map args -> [type: type] + args })
        }
        helper.registerAllowedMethod('parameters', [List], { List definitions -> [parameters: definitions] })
    }

    /** withEnv's entries applied as Jenkins does: NAME=value sets, an empty value unsets NAME. */
    static void applyWithEnv(Map<String, String> env, List entries) {
        entries.each { entry ->
            String text = entry.toString()
            int equals = text.indexOf('=')
            String name = text.substring(0, equals)
            String value = text.substring(equals + 1)
            if (value) {
                env[name] = value
            } else {
                env.remove(name)
            }
        }
    }

    Object runSh(String script, boolean returnStatus) {
        Map call = [script: script, env: new LinkedHashMap(env), cwd: currentDir()]
        shCalls << call
        int status = shHandler(call)
        if (returnStatus) {
            return status
        }
        if (status != 0) {
            throw new StepError("script returned exit code ${status}")
        }
        return null
    }
}
