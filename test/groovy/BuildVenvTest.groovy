import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertNull
import static org.junit.Assert.assertTrue

import org.junit.Before
import org.junit.Test

/** buildVenv against a fake helper: stages, environment-only values, outcomes, credentials, artifacts. */
class BuildVenvTest extends PipelineTestBase {

    static final List<String> ALL_STAGES = ['Validate inputs', 'Create venv and install', 'Check dependencies',
                                            'Package', 'Metadata', 'Publish']

    FakeHelper fakeHelper = new FakeHelper()

    @Before
    void answerShWithFakeHelper() {
        shHandler = { Map call -> fakeHelper.run(call) }
    }

    Map buildVenv(Map args) {
        return loadStep('buildVenv').call(args) as Map
    }

    String libraryScript(String name) {
        return new File(PROJECT_DIR, "resources/venvbuild/${name}").getText('UTF-8')
    }

    @Test
    void runsTheStagesInOrderAndPublishesWhenABucketIsGiven() {
        buildVenv(envName: 'demo', bucket: 'team-venvs')

        assertEquals(ALL_STAGES, stageNames())
        assertEquals(['install-helper', 'validate', 'install', 'inspect', 'package', 'metadata', 'publish'],
            fakeHelper.commands)
        assertEquals('SUCCESS', result())
    }

    @Test
    void skipsPublishWithoutABucket() {
        buildVenv(envName: 'demo')

        assertEquals(ALL_STAGES - 'Publish', stageNames())
        assertFalse(fakeHelper.commands.contains('publish'))
    }

    @Test
    void passesEveryValueThroughTheEnvironmentOnly() {
        Map args = [envName     : 'demo-env', pythonVersion: '3.11', requirements: 'reqs/prod.txt',
                    bucket      : 'team-venvs', prefix: 'ml/venvs', region: 'eu-west-1',
                    endpointUrl : 'http://minio.local:9000', installer: 'uv', compression: 'zst',
                    sse         : 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/venvs',
                    helperPython: 'python3.11']
        buildVenv(args)

        List<String> libraryScripts = [libraryScript('install-helper.sh'), libraryScript('run-stage.sh')]
        shCalls.each { Map call ->
            assertTrue('sh runs a library script unchanged', call.script in libraryScripts)
            args.values().each { value ->
                assertFalse("sh script contains ${value}", (call.script as String).contains(value as String))
            }
        }
        Map<String, String> publishEnv = shCalls.last().env
        assertEquals('publish', publishEnv.VB_STAGE)
        assertEquals('demo-env', publishEnv.VB_ENV_NAME)
        assertEquals('3.11', publishEnv.VB_PYTHON_VERSION)
        assertEquals('reqs/prod.txt', publishEnv.VB_REQUIREMENTS)
        assertEquals('s3://team-venvs/ml/venvs', publishEnv.VB_STORE)
        assertEquals('eu-west-1', publishEnv.VB_REGION)
        assertEquals('http://minio.local:9000', publishEnv.VB_ENDPOINT_URL)
        assertEquals('uv', publishEnv.VB_INSTALLER)
        assertEquals('zst', publishEnv.VB_COMPRESSION)
        assertEquals('python3.11', publishEnv.VB_HELPER_PYTHON)
        assertEquals('aws:kms', publishEnv.VB_SSE)
        assertEquals('arn:aws:kms:eu-west-1:111122223333:key/venvs', publishEnv.VB_KMS_KEY_ID)
        assertEquals('false', publishEnv.VB_CHECKSUM_WHEN_REQUIRED)
    }

    @Test
    void passesThePublishOptionsOnlyWhenGiven() {
        buildVenv(envName: 'demo', bucket: 'team-venvs', sse: 'AES256', checksumWhenRequired: true)

        Map<String, String> publishEnv = shCalls.last().env
        assertEquals('AES256', publishEnv.VB_SSE)
        assertFalse(publishEnv.containsKey('VB_KMS_KEY_ID'))
        assertEquals('true', publishEnv.VB_CHECKSUM_WHEN_REQUIRED)
        assertEquals('SUCCESS', result())
    }

    @Test
    void installsThePinnedHelperIntoAToolVenvByDefault() {
        buildVenv(envName: 'demo')

        String version = new File(PROJECT_DIR, 'resources/venvbuild/VERSION').text.trim()
        Map<String, String> helperEnv = shCalls.first().env
        assertEquals('install-helper', helperEnv.VB_STAGE)
        assertEquals('true', helperEnv.VB_INSTALL_HELPER)
        assertEquals("venvbuild==${version}".toString(), helperEnv.VB_HELPER_REQUIREMENT)
        assertEquals('.venvbuild-tool/bin/venvbuild', helperEnv.VB_HELPER)
    }

    @Test
    void addsTheHelperExtrasThatUvAndZstNeed() {
        buildVenv(envName: 'demo', installer: 'uv', compression: 'zst')

        String version = new File(PROJECT_DIR, 'resources/venvbuild/VERSION').text.trim()
        assertEquals("venvbuild[uv,zst]==${version}".toString(), shCalls.first().env.VB_HELPER_REQUIREMENT)
    }

    @Test
    void installsTheHelperFromAGivenRequirement() {
        buildVenv(envName: 'demo', helperRequirement: '/opt/wheels/venvbuild-0.1.0-py3-none-any.whl')

        assertEquals('/opt/wheels/venvbuild-0.1.0-py3-none-any.whl', shCalls.first().env.VB_HELPER_REQUIREMENT)
    }

    @Test
    void usesAnInstalledHelperCommandWhenGiven() {
        buildVenv(envName: 'demo', helperCommand: '/opt/venvbuild/bin/venvbuild')

        shCalls.each { Map call ->
            assertEquals('false', call.env.VB_INSTALL_HELPER)
            assertEquals('/opt/venvbuild/bin/venvbuild', call.env.VB_HELPER)
        }
    }

    @Test
    void returnsWhatWasBuiltAndDescribesTheBuild() {
        Map built = buildVenv(envName: 'demo', pythonVersion: '3.12', bucket: 'team-venvs')

        assertEquals(FakeHelper.VENV_VERSION, built.venvVersion)
        assertEquals("s3://team-venvs/venv-builds/${FakeHelper.VENV_VERSION}/${FakeHelper.VENV_VERSION}.tar.gz".toString(),
            built.archiveUrl)
        assertEquals(FakeHelper.SHA256, built.sha256)
        assertEquals(true, built.conflictFree)
        assertEquals('demo', built.envName)
        assertEquals('3.12', built.pythonVersion)
        assertEquals("demo ${FakeHelper.VENV_VERSION} (Python 3.12)".toString(),
            binding.getVariable('currentBuild').description)
    }

    @Test
    void conflictsFailTheBuildWithFailOnConflicts() {
        fakeHelper.exitCodes.inspect = 4
        fakeHelper.errors.inspect = '1 dependency conflict: b 1.0 needs a<2, a 2.0 is installed'

        String message = errorFrom { buildVenv(envName: 'demo', failOnConflicts: true, bucket: 'team-venvs') }

        assertEquals('FAILURE', result())
        assertTrue(message, message.contains('venvbuild: error: 1 dependency conflict: b 1.0 needs a<2'))
        assertTrue(message, message.contains('exit code 4 (dependency conflicts with --fail-on-conflicts)'))
        assertEquals('true', shCalls.find { it.env.VB_STAGE == 'inspect' }.env.VB_FAIL_ON_CONFLICTS)
        assertEquals(ALL_STAGES.take(3), stageNames())
    }

    @Test
    void conflictsMakeTheBuildUnstableWithoutFailOnConflicts() {
        fakeHelper.conflictFree = false

        Map built = buildVenv(envName: 'demo', failOnConflicts: false, bucket: 'team-venvs')

        assertEquals('UNSTABLE', result())
        assertEquals(false, built.conflictFree)
        assertEquals('false', shCalls.find { it.env.VB_STAGE == 'inspect' }.env.VB_FAIL_ON_CONFLICTS)
        assertEquals(ALL_STAGES, stageNames())
        assertTrue(binding.getVariable('currentBuild').description.endsWith('has conflicts'))
    }

    @Test
    void unpinnedRequirementsFailWithTheHelpersMessage() {
        fakeHelper.exitCodes.validate = 3
        fakeHelper.errors.validate = 'requirements.txt: 2 unpinned requirements: pandas, numpy>=1.24'

        String message = errorFrom { buildVenv(envName: 'demo') }

        assertEquals('FAILURE', result())
        assertTrue(message, message.endsWith('venvbuild: error: requirements.txt: 2 unpinned requirements: pandas, numpy>=1.24'))
        assertTrue(message, message.contains('exit code 3 (unpinned requirements)'))
        assertEquals(['install-helper', 'validate'], fakeHelper.commands)
    }

    @Test
    void requirePinnedFalseAllowsUnpinnedRequirements() {
        buildVenv(envName: 'demo', requirePinned: false)

        assertEquals('true', shCalls.find { it.env.VB_STAGE == 'validate' }.env.VB_ALLOW_UNPINNED)
    }

    @Test
    void nullOptionsTakeTheirDefaults() {
        buildVenv(envName: 'demo', requirePinned: null, failOnConflicts: null, prefix: null, bucket: 'team-venvs')

        Map<String, String> publishEnv = shCalls.find { it.env.VB_STAGE == 'publish' }.env
        assertEquals('false', publishEnv.VB_ALLOW_UNPINNED)
        assertEquals('true', publishEnv.VB_FAIL_ON_CONFLICTS)
        assertEquals('s3://team-venvs/venv-builds', publishEnv.VB_STORE)
    }

    @Test
    void installFailureFailsAndStillArchivesTheInstallLog() {
        fakeHelper.exitCodes.install = 5
        fakeHelper.errors.install = 'pip install failed (exit 1); see venvbuild-work/install.log'

        String message = errorFrom { buildVenv(envName: 'demo') }

        assertTrue(message, message.contains('exit code 5 (install failed): venvbuild: error: pip install failed'))
        assertEquals(1, archived.size())
        assertTrue(archived[0].artifacts.contains('venvbuild-work/install.log'))
    }

    @Test
    void aHelperThatCannotBeInstalledFailsTheBuild() {
        fakeHelper.exitCodes['install-helper'] = 5
        fakeHelper.errors['install-helper'] = "could not install the helper 'venvbuild==0.1.0' into .venvbuild-tool"

        String message = errorFrom { buildVenv(envName: 'demo') }

        assertTrue(message, message.contains("could not install the helper 'venvbuild==0.1.0'"))
        assertEquals(['install-helper'], fakeHelper.commands)
    }

    @Test
    void bindsAwsCredentialsForPublishWhenAnIdIsGiven() {
        buildVenv(envName: 'demo', bucket: 'team-venvs', awsCredentialsId: 'aws-publisher')

        assertEquals([[[$class           : 'AmazonWebServicesCredentialsBinding', credentialsId: 'aws-publisher',
                        accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY']]],
            credentialBindings)
        Map<String, String> publishEnv = shCalls.find { it.env.VB_STAGE == 'publish' }.env
        assertEquals('test-access-key', publishEnv.AWS_ACCESS_KEY_ID)
        assertNull('only Publish sees the credentials', shCalls.first().env.AWS_ACCESS_KEY_ID)
    }

    @Test
    void usesTheAgentsOwnAwsRoleWithoutACredentialsId() {
        buildVenv(envName: 'demo', bucket: 'team-venvs')

        assertEquals([], credentialBindings)
    }

    @Test
    void archivesTheArtifactsAndTheInstallLog() {
        buildVenv(envName: 'demo')

        assertEquals([[artifacts: 'venvbuild-work/artifacts/**, venvbuild-work/install.log', excludes: '',
                       allowEmptyArchive: true]], archived)
        assertTrue(new File(workspace, "venvbuild-work/artifacts/${FakeHelper.VENV_VERSION}.tar.gz").file)
    }

    @Test
    void archiveVenvFalseLeavesTheTarballOut() {
        buildVenv(envName: 'demo', archiveVenv: false)

        assertEquals('venvbuild-work/artifacts/venv_*.tar.*', archived[0].excludes)
    }

    @Test
    void clearsTheWorkDirOfAnEarlierBuildBeforeValidating() {
        File stale = new File(workspace, 'venvbuild-work/artifacts/venv_20200101_000000.tar.gz')
        stale.parentFile.mkdirs()
        stale.text = 'old'

        buildVenv(envName: 'demo')

        assertFalse(stale.exists())
    }

    @Test
    void callsTheFailureHookWithTheStageAndMessage() {
        fakeHelper.exitCodes.package = 2
        fakeHelper.errors.package = 'no venv in venvbuild-work; run install first'
        List<Map> failures = []

        String message = errorFrom { buildVenv(envName: 'demo', onFailure: { Map failure -> failures << failure }) }

        assertEquals([[stage: 'Package', message: message]], failures)
    }

    @Test
    void aFailingHookDoesNotHideTheBuildsFailure() {
        fakeHelper.exitCodes.validate = 3
        fakeHelper.errors.validate = 'unpinned: pandas'

        String message = errorFrom { buildVenv(envName: 'demo', onFailure: { throw new IllegalStateException('no mail') }) }

        assertTrue(message, message.endsWith('unpinned: pandas'))
        assertTrue(echoes.contains('buildVenv: onFailure hook failed: no mail'))
    }

    @Test
    void doesNotCallTheFailureHookOnSuccess() {
        List<Map> failures = []

        buildVenv(envName: 'demo', onFailure: { Map failure -> failures << failure })

        assertEquals([], failures)
    }
}
