import com.lesfurets.jenkins.unit.BasePipelineTest
import com.lesfurets.jenkins.unit.cps.PipelineTestHelperCPS
import org.jenkinsci.plugins.workflow.graph.FlowNode
import org.junit.Before
import org.junit.Rule
import org.junit.rules.TemporaryFolder

/**
 * Registers the Jenkins steps the library uses, once for all tests. File steps work on a real temporary
 * workspace; `sh` is recorded with the environment withEnv has set and answered by `shHandler`.
 * A subclass that sets `cps = true` in its constructor runs the same tests under JenkinsPipelineUnit's
 * CPS interpreter (what BasePipelineTestCPS does: scripts CPS-transformed, step arguments serialized).
 */
abstract class PipelineTestBase extends BasePipelineTest {

    /** Jenkins credentials the tests' controller has: id -> values bound by withCredentials. */
    static final Map<String, Map> CREDENTIALS = [
        'aws-publisher': [accessKey: 'test-access-key', secretKey: 'test-secret-key'],
        'aws-venv-publisher': [accessKey: 'test-access-key', secretKey: 'test-secret-key'],
        'aws-reader': [accessKey: 'test-access-key', secretKey: 'test-secret-key'],
        'index-reader' : [username: 'ci-reader', password: 'index-s3cret-pw'],
    ]

    boolean cps = false

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
    List<Map> shCalls = []                 // [script:, env:, cwd:, label:] for each sh call
    List<Map> archived = []                // archiveArtifacts arguments
    List<List> credentialBindings = []     // withCredentials bindings
    List<String> echoes = []
    List<Map> unstables = []               // [stage:, message:] for each unstable step
    List<String> stageStack = []
    int parallelDepth = 0
    boolean unix = true
    Throwable archiveError = null          // what archiveArtifacts throws, e.g. when the agent is gone
    Closure<Integer> shHandler = { Map call -> 0 }

    @Before
    @Override
    void setUp() {
        scriptRoots = [PROJECT_DIR.path] as String[]
        scriptExtension = 'groovy'
        if (cps) {
            helper = new PipelineTestHelperCPS()
        }
        super.setUp()
        // Also called again by tests that run one scenario per stage: every record starts empty.
        workspace = temporaryFolder.newFolder()
        env.clear()
        [dirStack, shCalls, archived, credentialBindings, echoes, unstables, stageStack]*.clear()
        parallelDepth = 0
        archiveError = null
        binding.setVariable('currentBuild', [result: 'SUCCESS', description: null])
        binding.setVariable('env', env)
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

    /**
     * An onFailure hook that appends what it is given to into. Made in a static method, so it holds no test
     * instance: under CPS every closure a step holds must serialize, as a Jenkinsfile's closures do.
     */
    static Closure recordInto(List into) {
        return { Map failure -> into << failure }
    }

    /** An onFailure hook that throws error. */
    static Closure throwing(Throwable error) {
        return { Map failure -> throw error }
    }

    /** Runs body with item pushed on stack (the dir or stage a step is in), popped again after. */
    Object callInside(List stack, String item, Closure body) {
        stack.push(item)
        try {
            return callBody(body)
        } finally {
            stack.pop()
        }
    }

    /** Runs a closure given to a mocked step, in CPS mode through the CPS interpreter. */
    Object callBody(Closure body) {
        return helper.callClosure(body)
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
                return callBody(body)
            } finally {
                env.clear()
                env.putAll(saved)
            }
        })
        helper.registerAllowedMethod('sh', [Map], { Map args -> runSh(args.script as String, args.returnStatus == true, args.label as String) })
        helper.registerAllowedMethod('sh', [String], { String script -> runSh(script, false, null) })
        helper.registerAllowedMethod('dir', [String, Closure], { String path, Closure body ->
            return callInside(dirStack, path, body)
        })
        helper.registerAllowedMethod('deleteDir', [], { currentDir().deleteDir() })
        // pwd(tmp: true): the build's own temporary folder beside the workspace (workspace@tmp), as Jenkins gives it.
        helper.registerAllowedMethod('pwd', [Map], { Map args ->
            args.tmp ? new File(workspace.path + '@tmp').path : currentDir().path
        })
        helper.registerAllowedMethod('fileExists', [String], { String path -> file(path).exists() })
        helper.registerAllowedMethod('readFile', [String], { String path -> file(path).getText('UTF-8') })
        helper.registerAllowedMethod('writeFile', [Map], { Map args ->
            File target = file(args.file as String)
            target.parentFile.mkdirs()
            target.setText(args.text as String, 'UTF-8')
        })
        helper.registerAllowedMethod('archiveArtifacts', [Map], { Map args ->
            archived << args
            if (archiveError) {
                throw archiveError
            }
        })
        helper.registerAllowedMethod('usernamePassword', [Map], { Map args -> [$class: 'UsernamePasswordMultiBinding'] + args })
        helper.registerAllowedMethod('withCredentials', [List, Closure], { List bindings, Closure body ->
            credentialBindings << bindings
            Map<String, String> saved = new LinkedHashMap(env)
            bindings.each { Map binding ->
                Map values = CREDENTIALS[binding.credentialsId as String]
                if (values == null) {
                    // What the Credentials Binding plugin throws (a CredentialNotFoundException).
                    throw new IOException("Could not find credentials entry with ID '${binding.credentialsId}'")
                }
                if (binding.$class == 'AmazonWebServicesCredentialsBinding') {
                    env[binding.accessKeyVariable as String] = values.accessKey
                    env[binding.secretKeyVariable as String] = values.secretKey
                } else {
                    env[binding.usernameVariable as String] = values.username
                    env[binding.passwordVariable as String] = values.password
                }
            }
            try {
                return callBody(body)
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
        helper.registerAllowedMethod('isUnix', [], { unix })
        helper.registerAllowedMethod('stage', [String, Closure], { String name, Closure body ->
            return callInside(stageStack, name, body)
        })
        helper.registerAllowedMethod('unstable', [String], { String message ->
            unstables << [stage: stageStack ? stageStack.last() : null, message: message]
            updateBuildStatus('UNSTABLE')
        })
        // Branches run one after the other, each inside a parallel block for getContext(FlowNode).
        helper.registerAllowedMethod('parallel', [Map], { Map branches ->
            parallelDepth++
            try {
                branches.each { name, Closure body -> callBody(body) }
            } finally {
                parallelDepth--
            }
        })
        helper.registerAllowedMethod('getContext', [Object], { Object type ->
            type == FlowNode ? new FlowNode(parallelDepth > 0) : null
        })
        ['string', 'choice', 'booleanParam'].each { String type ->
            helper.registerAllowedMethod(type, [Map], { Map args -> [type: type] + args })
        }
        helper.registerAllowedMethod('parameters', [List], { List definitions -> [parameters: definitions] })
        helper.registerAllowedMethod('logRotator', [Map], { Map args -> [logRotator: args] })
        helper.registerAllowedMethod('buildDiscarder', [Object], { Object strategy -> [buildDiscarder: strategy] })
        helper.registerAllowedMethod('disableConcurrentBuilds', [], { -> [disableConcurrentBuilds: true] })
        helper.registerAllowedMethod('timeout', [Map, Closure], { Map args, Closure body -> callBody(body) })
        helper.registerAllowedMethod('node', [Closure], { Closure body -> callBody(body) })
        helper.registerAllowedMethod('node', [String, Closure], { String label, Closure body -> callBody(body) })
    }

    /** withEnv's entries applied as Jenkins does: NAME=value sets, an empty value unsets NAME, and
     *  PATH+ANY=dir puts dir in front of PATH (the agent's own PATH when none is set yet). */
    static void applyWithEnv(Map<String, String> env, List entries) {
        entries.each { entry ->
            String text = entry.toString()
            int equals = text.indexOf('=')
            String name = text.substring(0, equals)
            String value = text.substring(equals + 1)
            if (name.contains('+')) {
                String base = name.substring(0, name.indexOf('+'))
                String current = env[base] ?: System.getenv(base) ?: ''
                env[base] = current ? "${value}${File.pathSeparator}${current}".toString() : value
            } else if (value) {
                env[name] = value
            } else {
                env.remove(name)
            }
        }
    }

    Object runSh(String script, boolean returnStatus, String label) {
        Map call = [script: script, env: new LinkedHashMap(env), cwd: currentDir(), label: label]
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
