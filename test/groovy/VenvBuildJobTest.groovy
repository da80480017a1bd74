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

    List jobProperties() {
        return helper.callStack.find { it.methodName == 'properties' }.args[0] as List
    }

    List<Map> jobParameters() {
        return jobProperties().find { it instanceof Map && it.parameters }.parameters
    }

    List<String> calledSteps() {
        return helper.callStack*.methodName.findAll { it in ['properties', 'timeout', 'node', 'deleteDir', 'checkout', 'buildVenv'] }
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

        assertEquals(['properties', 'timeout', 'node', 'deleteDir', 'checkout', 'buildVenv'], calledSteps())
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
    void aRunWithoutParametersBuildsFromTheDefaults() {
        // SCM-, webhook- and first runs: the job has (or had) no parameters yet.
        binding.setVariable('params', [:])

        venvBuildJob(envName: 'demo', pythonVersions: ['3.11', '3.12'], failOnConflicts: false, bucket: 'team-venvs')

        assertEquals([[envName: 'demo', pythonVersion: '3.11', failOnConflicts: false, requirements: 'requirements.txt',
                       bucket : 'team-venvs', prefix: 'venv-builds']], buildVenvCalls)
        Map<String, Map> byName = jobParameters().collectEntries { [(it.name): it] }
        assertEquals('demo', byName.ENV_NAME.defaultValue)
        assertEquals(false, byName.FAIL_ON_CONFLICTS.defaultValue)
    }

    @Test
    void anEmptyEnvNameParameterFallsBackToTheDefault() {
        binding.setVariable('params', [ENV_NAME: '', PYTHON_VERSION: '3.12', FAIL_ON_CONFLICTS: true])

        venvBuildJob(envName: 'demo')

        assertEquals('demo', buildVenvCalls[0].envName)
        assertEquals('3.12', buildVenvCalls[0].pythonVersion)
    }

    @Test
    void keepsThirtyBuildsTimesOutAndRunsOneAtATimeByDefault() {
        binding.setVariable('params', [ENV_NAME: 'demo'])

        venvBuildJob()

        List found = jobProperties()
        assertEquals(3, found.size())
        assertEquals(['disableConcurrentBuilds'], helper.callStack.findAll { it.methodName == 'disableConcurrentBuilds' }*.methodName)
        assertEquals([[numToKeepStr: '30']], helper.callStack.findAll { it.methodName == 'logRotator' }.collect { it.args[0] })
        assertEquals([[time: 120, unit: 'MINUTES']], helper.callStack.findAll { it.methodName == 'timeout' }.collect { it.args[0] })
    }

    @Test
    void eachJobPropertyCanBeChangedOrLeftOut() {
        binding.setVariable('params', [ENV_NAME: 'demo'])

        venvBuildJob(keepBuilds: null, timeoutMinutes: null, disableConcurrentBuilds: false)

        assertEquals(1, jobProperties().size())
        assertEquals([], helper.callStack.findAll { it.methodName in ['timeout', 'logRotator', 'disableConcurrentBuilds'] })
        assertEquals(['demo'], buildVenvCalls*.envName)

        setUp()
        mockCheckoutAndBuildVenv()
        binding.setVariable('params', [ENV_NAME: 'demo'])
        venvBuildJob(keepBuilds: 5, timeoutMinutes: 30)
        assertEquals([[numToKeepStr: '5']], helper.callStack.findAll { it.methodName == 'logRotator' }.collect { it.args[0] })
        assertEquals([[time: 30, unit: 'MINUTES']], helper.callStack.findAll { it.methodName == 'timeout' }.collect { it.args[0] })
    }

    @Test
    void requiresAnEnvNameFromTheParameterOrTheDefault() {
        String message = errorFrom { venvBuildJob() }

        assertEquals('venvBuildJob: ENV_NAME is empty; give it a default with venvBuildJob(envName: ...) or run "Build with Parameters"', message)
        assertEquals(['properties'], calledSteps())
    }

    @Test
    void refusesUnknownOptions() {
        String message = errorFrom { venvBuildJob(bucketName: 'x') }

        assertEquals('venvBuildJob: unknown option bucketName; accepted: envName, pythonVersions, failOnConflicts, ' +
            'requirements, bucket, prefix, label, keepBuilds, timeoutMinutes, disableConcurrentBuilds, buildVenv, catalog', message)
        assertEquals([], calledSteps())
    }

    @Test
    void refusesBadValuesBeforeAnythingRuns() {
        ['envName': [envName: 'x; id'], 'pythonVersions entry': [pythonVersions: ['3.11', 'three']],
         'keepBuilds': [keepBuilds: 0], 'timeoutMinutes': [timeoutMinutes: '1h'], 'failOnConflicts': [failOnConflicts: 'no']
        ].each { String name, Map config ->
            String message = errorFrom { venvBuildJob(config) }
            assertTrue(message, message.startsWith("venvBuildJob: ${name} "))
            assertEquals([], calledSteps())
        }
    }

    @Test
    void aLostAgentRunsTheWholeRunAgainOnAnotherAgentOnce() {
        binding.setVariable('params', [ENV_NAME: 'demo'])
        int attempts = 0
        helper.registerAllowedMethod('checkout', [Map], { Map scm ->
            if (attempts++ == 0) {
                throw new PipelineTestBase.AgentLost('Agent linux-7 was removed')
            }
            [GIT_COMMIT: '0123abcd']
        })

        Map built = venvBuildJob()

        assertEquals('venv_20261125_150000', built.venvVersion)
        assertEquals([[count: 2, conditions: [[condition: 'agent'], [condition: 'nonresumable']]]],
            helper.callStack.findAll { it.methodName == 'retry' }.collect { it.args[0] })
        assertEquals(2, helper.callStack.count { it.methodName == 'node' })
        assertEquals(1, buildVenvCalls.size())
    }

    @Test
    void aBuildFailureIsNotRetried() {
        binding.setVariable('params', [ENV_NAME: 'demo'])
        helper.registerAllowedMethod('buildVenv', [Map], { Map args -> throw new PipelineTestBase.StepError('buildVenv: install failed') })

        assertEquals('buildVenv: install failed', errorFrom { venvBuildJob() })
        assertEquals(1, helper.callStack.count { it.methodName == 'node' })
    }

    @Test
    void notifiesOfAFailureOutsideBuildVenvOnce() {
        List<Map> slack = []
        helper.registerAllowedMethod('slackSend', [Map], { Map args -> slack << args })
        helper.registerAllowedMethod('checkout', [Map], { Map scm -> throw new PipelineTestBase.StepError('Couldn\'t find any revision to build') })
        binding.setVariable('params', [ENV_NAME: 'demo'])
        env.BUILD_URL = 'https://ci.example.com/job/venvs/9/'

        errorFrom { venvBuildJob(buildVenv: [notify: [slack: '#ml-builds']]) }

        assertEquals([[channel: '#ml-builds', color: 'danger',
                       message: "venvBuildJob demo: FAILURE in checkout: Couldn't find any revision to build (https://ci.example.com/job/venvs/9/)"]],
            slack)
    }

    @Test
    void leavesTheNotificationOfABuildVenvFailureToBuildVenv() {
        List<Map> slack = []
        helper.registerAllowedMethod('slackSend', [Map], { Map args -> slack << args })
        helper.registerAllowedMethod('buildVenv', [Map], { Map args -> throw new PipelineTestBase.StepError('buildVenv: install failed') })
        binding.setVariable('params', [ENV_NAME: 'demo'])

        errorFrom { venvBuildJob(buildVenv: [notify: [slack: '#ml-builds']]) }

        assertEquals('buildVenv told of it already', [], slack)
    }

    @Test
    void refusesBuildVenvOptionsThatTheParametersSet() {
        String message = errorFrom { venvBuildJob(buildVenv: [envName: 'demo']) }

        assertTrue(message, message.startsWith("venvBuildJob: buildVenv option envName comes from the job's parameters"))
    }
}
