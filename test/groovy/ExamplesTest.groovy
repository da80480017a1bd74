import static com.lesfurets.jenkins.unit.global.lib.LibraryConfiguration.library
import static com.lesfurets.jenkins.unit.global.lib.LocalSource.localSource
import static org.junit.Assert.assertEquals

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
        Files.createSymbolicLink(new File(libraries, 'venvbuild@v0.1.0').toPath(), PROJECT_DIR.toPath())
        helper.registerSharedLibrary(library().name('venvbuild').defaultVersion('v0.1.0')
            .allowOverride(true).implicit(false).targetPath(libraries.path)
            .retriever(localSource(libraries.path)).build())
        shHandler = { Map call -> fakeHelper.run(call) }
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
