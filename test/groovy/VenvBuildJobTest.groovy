import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue

import org.junit.Before
import org.junit.Test

/** venvBuildJob: its parameters, a clean workspace and checkout, then buildVenv from the parameters. */
class VenvBuildJobTest extends PipelineTestBase {

    List<Map> buildVenvCalls = []
    List<Map> buildVenvEnvs = []

    @Before
    void mockCheckoutAndBuildVenv() {
        helper.registerAllowedMethod('checkout', [Map], { Map scm -> [GIT_COMMIT: '0123abcd'] })
        helper.registerAllowedMethod('buildVenv', [Map], { Map args ->
            buildVenvCalls << args
            buildVenvEnvs << new LinkedHashMap(env)
            return [venvVersion: 'venv_20261125_150000']
        })
    }

    Map venvBuildJob(Map config = [:]) {
        return loadStep('venvBuildJob').call(config) as Map
    }

    List<Map> jobParameters() {
        def properties = helper.callStack.find { it.methodName == 'properties' }
        return properties.args[0][0].parameters
    }

    List<String> calledSteps() {
        return helper.callStack*.methodName.findAll { it in ['properties', 'node', 'deleteDir', 'checkout', 'buildVenv'] }
    }

    @Test
    void declaresTheJobParameters() {
        binding.setVariable('params', [ENV_NAME: 'demo'])

        venvBuildJob(pythonVersions: ['3.11', '3.12'], bucket: 'team-venvs')

        Map<String, Map> byName = jobParameters().collectEntries { [(it.name): it] }
        assertEquals(['ENV_NAME', 'PYTHON_VERSION', 'FAIL_ON_CONFLICTS', 'REQUIREMENTS', 'BUCKET', 'PREFIX'],
            byName.keySet() as List)
        assertEquals('string', byName.ENV_NAME.type)
        assertEquals('choice', byName.PYTHON_VERSION.type)
        assertEquals(['3.11', '3.12'], byName.PYTHON_VERSION.choices)
        assertEquals('booleanParam', byName.FAIL_ON_CONFLICTS.type)
        assertEquals(true, byName.FAIL_ON_CONFLICTS.defaultValue)
        assertEquals('team-venvs', byName.BUCKET.defaultValue)
        assertTrue(byName.ENV_NAME.description.contains('starts with a letter'))
    }

    @Test
    void cleansChecksOutAndBuildsFromTheParameters() {
        binding.setVariable('params', [ENV_NAME: 'demo', PYTHON_VERSION: '3.11', FAIL_ON_CONFLICTS: false,
                                       REQUIREMENTS: 'reqs.txt', BUCKET: 'team-venvs', PREFIX: 'ml'])

        Map built = venvBuildJob(buildVenv: [awsCredentialsId: 'aws-publisher'])

        assertEquals(['properties', 'node', 'deleteDir', 'checkout', 'buildVenv'], calledSteps())
        assertEquals([[awsCredentialsId: 'aws-publisher', envName: 'demo', pythonVersion: '3.11',
                       failOnConflicts : false, requirements: 'reqs.txt', bucket: 'team-venvs', prefix: 'ml']],
            buildVenvCalls)
        assertEquals('venv_20261125_150000', built.venvVersion)
    }

    @Test
    void givesTheHelperTheCheckedOutCommit() {
        binding.setVariable('params', [ENV_NAME: 'demo'])

        venvBuildJob()

        assertEquals('0123abcd', buildVenvEnvs[0].GIT_COMMIT)
    }

    @Test
    void anEmptyBucketParameterMeansNoPublishing() {
        binding.setVariable('params', [ENV_NAME: 'demo', BUCKET: ''])

        venvBuildJob()

        assertEquals(null, buildVenvCalls[0].bucket)
    }

    @Test
    void buildsOnTheGivenAgentLabel() {
        binding.setVariable('params', [ENV_NAME: 'demo'])

        venvBuildJob(label: 'linux-python')

        assertEquals(['linux-python'], helper.callStack.findAll { it.methodName == 'node' }.collect { it.args[0] })
    }

    @Test
    void requiresEnvNameAfterDeclaringTheParameters() {
        String message = errorFrom { venvBuildJob() }

        assertEquals('venvBuildJob: ENV_NAME is required; run the job with "Build with Parameters"', message)
        assertEquals(['properties'], calledSteps())
    }

    @Test
    void refusesUnknownOptions() {
        String message = errorFrom { venvBuildJob(bucketName: 'x') }

        assertEquals('venvBuildJob: unknown option bucketName; accepted: pythonVersions, requirements, bucket, ' +
            'prefix, label, buildVenv, catalog', message)
        assertEquals([], calledSteps())
    }

    @Test
    void refusesBuildVenvOptionsThatTheParametersSet() {
        String message = errorFrom { venvBuildJob(buildVenv: [envName: 'demo']) }

        assertTrue(message, message.startsWith("venvBuildJob: buildVenv option envName comes from the job's parameters"))
    }
}
