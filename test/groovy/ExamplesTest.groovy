import static com.lesfurets.jenkins.unit.global.lib.LibraryConfiguration.library
import static com.lesfurets.jenkins.unit.global.lib.LocalSource.localSource
import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue

import java.nio.file.Files
import org.junit.Before
import org.junit.Test

/**
 * The Jenkinsfiles in examples/ with the library loaded from the working tree as Jenkins loads it
 * (@Library, vars/ as global steps), against the fake helper.
 */
class ExamplesTest extends PipelineTestBase {

    FakeHelper fakeHelper = new FakeHelper()

    @Before
    void registerTheLibraryFromTheWorkingTree() {
        File libraries = temporaryFolder.newFolder('libraries')
        // The ref the examples name: main, a branch the repository has.
        Files.createSymbolicLink(new File(libraries, 'venvbuild@main').toPath(), PROJECT_DIR.toPath())
        helper.registerSharedLibrary(library().name('venvbuild').defaultVersion('main')
            .allowOverride(true).implicit(false).targetPath(libraries.path)
            .retriever(localSource(libraries.path)).build())
        shHandler = { Map call -> call.env.VB_STAGE ? fakeHelper.run(call) : 0 }
        helper.registerAllowedMethod('checkout', [Object], { Object scm -> [GIT_COMMIT: '0123abcd'] })
    }

    static final List<String> TESTED = ['Jenkinsfile.buildVenv', 'Jenkinsfile.withVenv', 'Jenkinsfile.job', 'Jenkinsfile.declarative']

    @Test
    void everyExampleJenkinsfileIsTestedAndNamesARealRefAndTheTrustedLibrary() {
        List<String> found = new File(PROJECT_DIR, 'examples').list().findAll { it.startsWith('Jenkinsfile') }.sort()
        assertEquals(TESTED.sort(), found)
        found.each { String name ->
            String text = new File(PipelineTestBase.PROJECT_DIR, "examples/${name}").text
            assertTrue(name, text.contains("@Library('venvbuild@main') _"))
            assertTrue("${name} says the library must be global (trusted)".toString(), text.contains('global (trusted)'))
        }
        String readme = new File(PROJECT_DIR, 'README.md').text
        assertTrue('README shows no Jenkinsfile snippet of its own', !readme.contains('@Library('))
        TESTED.each { assertTrue(it, readme.contains("examples/${it}")) }
    }

    @Test
    void theScriptedExampleChecksOutBuildsPublishesAndTestsInTheBuild() {
        runScript('examples/Jenkinsfile.buildVenv')

        assertEquals('SUCCESS', result())
        assertEquals(['install-helper', 'validate', 'install', 'inspect', 'package', 'metadata', 'verify-helper', 'publish',
                      'install-helper', 'pull', 'after'], fakeHelper.commands)
        List<String> steps = helper.callStack*.methodName
        assertTrue(steps.indexOf('checkout') < steps.indexOf('buildVenv'))
        Map install = shCalls.find { it.env.VB_STAGE == 'install' }
        assertEquals('the index credentials, for the install only', 'ci-reader', install.env.VENVBUILD_INDEX_USER)
        Map tests = shCalls.find { it.label == 'tests in the published venv' }
        assertEquals('the body runs before the venv is released', 'venvbuild: release the venv', shCalls.last().label)
        assertEquals(FakeHelper.VENV_VERSION, tests.env.VENVBUILD_VENV_VERSION)
    }

    @Test
    void theWithVenvExampleRunsInTheNewestAndTheStableBuild() {
        runScript('examples/Jenkinsfile.withVenv')

        assertEquals('SUCCESS', result())
        List<Map> pulls = shCalls.findAll { it.env.VB_STAGE == 'pull' }
        assertEquals(['true', null], pulls*.env*.VB_PULL_LATEST)
        assertEquals([null, 'stable'], pulls*.env*.VB_PULL_TAG)
        assertEquals(['the tool from the newest build', 'the tool from the stable build'],
            shCalls.findAll { !it.env.VB_STAGE }*.label)
    }

    @Test
    void theJobExampleBuildsAndPublishesFromTheParameters() {
        binding.setVariable('params', [ENV_NAME: 'demo', PYTHON_VERSION: '3.12', FAIL_ON_CONFLICTS: true,
                                       REQUIREMENTS: 'requirements.txt', BUCKET: 'my-venv-builds', PREFIX: 'venv-builds'])

        runScript('examples/Jenkinsfile.job')

        assertEquals('SUCCESS', result())
        assertEquals(['install-helper', 'validate', 'install', 'inspect', 'package', 'metadata', 'verify-helper', 'publish'],
            fakeHelper.commands)
        Map<String, String> publishEnv = shCalls.last().env
        assertEquals('s3://my-venv-builds/venv-builds', publishEnv.VB_STORE)
        assertEquals('eu-west-1', publishEnv.VB_REGION)
        assertEquals('aws-venv-publisher', credentialBindings[0][0].credentialsId)
        assertEquals(['linux'], helper.callStack.findAll { it.methodName == 'node' }.collect { it.args[0] })
    }

    @Test
    void theDeclarativeExampleCallsBuildVenvFromItsParameters() {
        // JenkinsPipelineUnit 1.1 has no declarative support: its sections just run their closures.
        ['pipeline', 'agent', 'parameters', 'options', 'stages', 'steps', 'script'].each { String section ->
            helper.registerAllowedMethod(section, [Closure], { Closure body -> body() })
        }
        helper.registerAllowedMethod('label', [String], null)
        helper.registerAllowedMethod('timeout', [Map], null)  // declarative options { timeout(...) }
        binding.setVariable('params', [ENV_NAME: 'demo', PYTHON_VERSION: '3.11', FAIL_ON_CONFLICTS: false])

        runScript('examples/Jenkinsfile.declarative')

        assertEquals('SUCCESS', result())
        Map<String, String> publishEnv = shCalls.last().env
        assertEquals('publish', publishEnv.VB_STAGE)
        assertEquals('demo', publishEnv.VB_ENV_NAME)
        assertEquals('3.11', publishEnv.VB_PYTHON_VERSION)
        String archiveUrl = "s3://my-venv-builds/venv-builds/${FakeHelper.VENV_VERSION}/${FakeHelper.VENV_VERSION}.tar.gz"
        assertEquals("Built ${FakeHelper.VENV_VERSION}: ${archiveUrl} (sha256 ${FakeHelper.SHA256})".toString(), echoes.last())
    }
}
