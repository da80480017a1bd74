import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertFalse
import static org.junit.Assert.assertNotNull
import static org.junit.Assert.assertNull
import static org.junit.Assert.assertSame
import static org.junit.Assert.assertTrue
import static org.junit.Assert.fail

import io.venvbuild.HelperTool
import org.jenkinsci.plugins.workflow.steps.FlowInterruptedException
import org.junit.Test

/**
 * buildVenv against a fake helper: stages and their labels, environment-only values, the helper tool,
 * outcomes, credentials, artifacts, calls sharing a workspace, failures, aborts and notifications.
 */
class BuildVenvTest extends FakeHelperStepTest {

    static final List<String> ALL_STAGES = ['Validate inputs', 'Create venv and install', 'Check dependencies',
                                            'Package', 'Metadata', 'Publish']

    // Which stage each helper command runs in.
    static final Map<String, String> STAGE_OF = [
        'install-helper': null, validate: 'Validate inputs', install: 'Create venv and install',
        inspect: 'Check dependencies', package: 'Package', metadata: 'Metadata', 'verify-helper': 'Publish',
        publish: 'Publish']

    Map buildVenv(Map args) {
        return loadStep('buildVenv').call(args) as Map
    }

    String version() {
        return new File(PROJECT_DIR, 'resources/venvbuild/VERSION').text.trim()
    }

    Map<String, String> envOf(String command) {
        return shCalls.find { it.env.VB_STAGE == command }?.env
    }

    /** Every text file under the workspace that contains value. */
    List<String> workspaceFilesHolding(String value) {
        List<String> found = []
        workspace.eachFileRecurse { File f -> if (f.file && f.getText('ISO-8859-1').contains(value)) { found << f.path } }
        return found
    }

    @Test
    void runsTheStagesInOrderAndPublishesWhenABucketIsGiven() {
        buildVenv(envName: 'demo', bucket: 'team-venvs')

        assertEquals(ALL_STAGES, stageNames())
        assertEquals(['install-helper', 'validate', 'install', 'inspect', 'package', 'metadata', 'verify-helper', 'publish'],
            fakeHelper.commands)
        assertEquals('SUCCESS', result())
    }

    @Test
    void skipsPublishWithoutABucket() {
        buildVenv(envName: 'demo')

        assertEquals(ALL_STAGES - 'Publish', stageNames())
        assertFalse(fakeHelper.commands.contains('publish'))
        assertFalse(fakeHelper.commands.contains('verify-helper'))
    }

    @Test
    void labelsEveryShellStepForTheStageView() {
        buildVenv(envName: 'demo', bucket: 'team-venvs')

        assertEquals(['venvbuild: install the helper', 'venvbuild validate: inputs and pins',
                      'venvbuild install: create the venv, install the requirements',
                      'venvbuild inspect: dependency tree and conflicts', 'venvbuild package: archive the venv',
                      'venvbuild metadata: write metadata.json', 'venvbuild: verify the helper',
                      'venvbuild publish: to s3://team-venvs/venv-builds'], shCalls*.label)
    }

    @Test
    void passesEveryValueThroughTheEnvironmentOnly() {
        Map args = [envName     : 'demo-env', pythonVersion: '3.11', requirements: 'reqs/prod.txt',
                    bucket      : 'team-venvs', prefix: 'ml/venvs', region: 'eu-west-1',
                    endpointUrl : 'http://minio.local:9000', installer: 'uv', compression: 'zst',
                    sse         : 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/venvs',
                    helperPython: 'python3.11', helperToolRoot: '/var/cache/venvbuild-tools']
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
        assertEquals('venvbuild-work/demo-env/3.11', publishEnv.VB_WORK_DIR)
        assertEquals('.venvbuild-logs/demo-env/3.11/publish.stderr', publishEnv.VB_STDERR_FILE)
        assertEquals('demo-env', publishEnv.VB_ENV_NAME)
        assertEquals('3.11', publishEnv.VB_PYTHON_VERSION)
        assertEquals('reqs/prod.txt', publishEnv.VB_REQUIREMENTS)
        assertEquals('s3://team-venvs/ml/venvs', publishEnv.VB_STORE)
        assertEquals('eu-west-1', publishEnv.VB_REGION)
        assertEquals('http://minio.local:9000', publishEnv.VB_ENDPOINT_URL)
        assertEquals('uv', publishEnv.VB_INSTALLER)
        assertEquals('zst', publishEnv.VB_COMPRESSION)
        assertEquals('aws:kms', publishEnv.VB_SSE)
        assertEquals('arn:aws:kms:eu-west-1:111122223333:key/venvs', publishEnv.VB_KMS_KEY_ID)
        assertEquals('false', publishEnv.VB_CHECKSUM_WHEN_REQUIRED)
        assertEquals('python3.11', envOf('install-helper').VB_HELPER_PYTHON)
        assertEquals('/var/cache/venvbuild-tools', envOf('install-helper').VB_TOOL_ROOT)
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
    void installsTheHelperFromTheLibrarysLockByDefault() {
        buildVenv(envName: 'demo')

        String lock = libraryScript('helper-lock.txt')
        Map<String, String> helperEnv = shCalls.first().env
        assertEquals('install-helper', helperEnv.VB_STAGE)
        assertEquals(version(), helperEnv.VB_VERSION)
        assertFalse(helperEnv.containsKey('VB_HELPER_COMMAND'))
        assertFalse('default tool root: outside the workspace, chosen by the script', helperEnv.containsKey('VB_TOOL_ROOT'))
        assertFalse(helperEnv.containsKey('VB_INDEX_URL'))
        assertEquals('.venvbuild-logs/demo/default/helper.info', helperEnv.VB_HELPER_INFO)
        shCalls.drop(1).each { Map call -> assertEquals(FakeHelper.TOOL_COMMAND, call.env.VB_HELPER) }
    }

    @Test
    void theLockReachesTheScriptAsAFileUnderTheWorkspaceTmpNotTheEnvironment() {
        String lockFile = null
        shHandler = { Map call ->
            if (call.env.VB_STAGE == 'install-helper') {
                lockFile = new File(call.env.VB_HELPER_LOCK_FILE as String).text
            }
            fakeHelper.run(call)
        }

        buildVenv(envName: 'demo', pythonVersion: '3.11')

        Map<String, String> helperEnv = envOf('install-helper')
        assertEquals("${workspaceTmp.path}/venvbuild/demo/3.11/helper-lock.txt".toString(), helperEnv.VB_HELPER_LOCK_FILE)
        assertEquals(libraryScript('helper-lock.txt'), lockFile)
        assertEquals('the helper is installed for this call, under the workspace tmp',
            "${workspaceTmp.path}/venvbuild/demo/3.11/helper".toString(), helperEnv.VB_TOOL_DIR)
        shCalls.each { Map call ->
            call.env.each { String name, String value -> assertTrue("${name} is short".toString(), value.length() < 4096) }
        }
    }

    @Test
    void cleanWorkDirRemovesTheWorkFolderAndScratchAfterASuccessfulPublish() {
        buildVenv(envName: 'demo', pythonVersion: '3.11', bucket: 'team-venvs')

        assertFalse('the work folder is gone once the build is in the bucket', new File(workspace, 'venvbuild-work/demo/3.11').exists())
        assertFalse(new File(workspaceTmp, 'venvbuild/demo/3.11').exists())
        assertEquals(1, archived.size())
    }

    @Test
    void cleanWorkDirKeepsTheWorkFolderWithoutABucketOrWhenAskedOrAfterAFailure() {
        buildVenv(envName: 'demo', pythonVersion: '3.11')
        assertTrue('without a bucket the tarball is only here', new File(workspace, 'venvbuild-work/demo/3.11/artifacts').directory)

        buildVenv(envName: 'demo', pythonVersion: '3.12', bucket: 'team-venvs', cleanWorkDir: false)
        assertTrue(new File(workspace, 'venvbuild-work/demo/3.12/artifacts').directory)

        fakeHelper.exitCodes.publish = 5
        fakeHelper.errors.publish = 'S3 said no'
        errorFrom { buildVenv(envName: 'demo', pythonVersion: '3.10', bucket: 'team-venvs') }
        assertTrue('kept to look into', new File(workspace, 'venvbuild-work/demo/3.10/artifacts').directory)

        buildVenv(envName: 'demo', pythonVersion: '3.13', cleanWorkDir: true)
        assertFalse(new File(workspace, 'venvbuild-work/demo/3.13').exists())
    }

    @Test
    void indexCredentialsAreBoundOnlyAroundCreateVenvAndInstall() {
        Map<String, Map<String, String>> stageEnvs = [:]
        shHandler = { Map call ->
            stageEnvs[(call.env.VB_STAGE as String)] = call.env
            fakeHelper.run(call)
        }

        buildVenv(envName: 'demo', bucket: 'team-venvs', awsCredentialsId: 'aws-publisher', indexCredentialsId: 'index-reader')

        assertEquals('ci-reader', stageEnvs.install.VENVBUILD_INDEX_USER)
        assertEquals('index-s3cret-pw', stageEnvs.install.VENVBUILD_INDEX_PASSWORD)
        assertNull('no AWS credentials while the requirements install', stageEnvs.install.AWS_SECRET_ACCESS_KEY)
        ['install-helper', 'validate', 'inspect', 'package', 'metadata', 'verify-helper', 'publish'].each { String command ->
            assertFalse(command, stageEnvs[command].values().any { it.contains('index-s3cret-pw') || it == 'ci-reader' })
        }
        assertEquals('test-secret-key', stageEnvs.publish.AWS_SECRET_ACCESS_KEY)
        assertEquals([], workspaceFilesHolding('index-s3cret-pw'))
    }

    @Test
    void anUnknownIndexCredentialsIdIsRefusedBeforeAnyStage() {
        String message = errorFrom { buildVenv(envName: 'demo', indexCredentialsId: 'no-such-id') }

        assertEquals("buildVenv: indexCredentialsId 'no-such-id' is not usable username/password credentials: " +
            "Could not find credentials entry with ID 'no-such-id'", message)
        assertEquals([], stageNames())
    }

    @Test
    void verifiesTheToolRightBeforePublishBindsCredentials() {
        buildVenv(envName: 'demo', bucket: 'team-venvs', awsCredentialsId: 'aws-publisher')

        Map<String, String> verifyEnv = envOf('verify-helper')
        assertEquals('the digest install-helper reported, kept on the controller', FakeHelper.TOOL_DIGEST, verifyEnv.VB_HELPER_DIGEST)
        assertEquals(new File(FakeHelper.TOOL_COMMAND).parentFile.parent, verifyEnv.VB_HELPER_TOOL)
        assertNull('the tool is checked before the credentials are bound', verifyEnv.AWS_SECRET_ACCESS_KEY)
        assertEquals('test-secret-key', envOf('publish').AWS_SECRET_ACCESS_KEY)
    }

    @Test
    void aToolChangedDuringTheBuildStopsPublishBeforeCredentials() {
        fakeHelper.exitCodes['verify-helper'] = 5
        fakeHelper.errors['verify-helper'] = "the helper's tool folder /t changed during this build; not running it with credentials"

        String message = errorFrom { buildVenv(envName: 'demo', bucket: 'team-venvs', awsCredentialsId: 'aws-publisher') }

        assertTrue(message, message.startsWith('buildVenv: verify-helper failed with exit code 5'))
        assertTrue(message, message.endsWith('not running it with credentials'))
        assertFalse(fakeHelper.commands.contains('publish'))
        assertEquals([], credentialBindings)
    }

    @Test
    void usesAnInstalledHelperCommandWhenGiven() {
        buildVenv(envName: 'demo', bucket: 'team-venvs', helperCommand: '/opt/venvbuild/bin/venvbuild')

        assertEquals('/opt/venvbuild/bin/venvbuild', envOf('install-helper').VB_HELPER_COMMAND)
        assertEquals('/opt/venvbuild/bin/venvbuild', envOf('verify-helper').VB_HELPER_COMMAND)
        shCalls.findAll { !(it.env.VB_STAGE in ['install-helper', 'verify-helper']) }.each { Map call ->
            assertEquals('/opt/venvbuild/bin/venvbuild', call.env.VB_HELPER)
        }
    }

    @Test
    void aHelperCommandOfAnotherVersionIsRefused() {
        fakeHelper.exitCodes['install-helper'] = 2
        fakeHelper.errors['install-helper'] = "helper 'venvbuild' is 'venvbuild 0.0.9', this library needs 'venvbuild 0.1.0'"

        String message = errorFrom { buildVenv(envName: 'demo', helperCommand: 'venvbuild') }

        assertEquals("buildVenv: install-helper failed with exit code 2 (bad usage or bad input): venvbuild: error: " +
            "helper 'venvbuild' is 'venvbuild 0.0.9', this library needs 'venvbuild 0.1.0'", message)
        assertEquals(['install-helper'], fakeHelper.commands)
        assertEquals('no stage has started', [], stageNames())
        assertEquals([], archived)
    }

    @Test
    void bindsThePrivateIndexCredentialsOnlyWhileTheHelperInstalls() {
        buildVenv(envName: 'demo', bucket: 'team-venvs', helperIndexUrl: 'https://pypi.example.com/simple/',
            helperIndexCredentialsId: 'index-reader')

        Map<String, String> helperEnv = envOf('install-helper')
        assertEquals('https://pypi.example.com/simple/', helperEnv.VB_INDEX_URL)
        assertEquals('ci-reader', helperEnv.VB_INDEX_USER)
        assertEquals('index-s3cret-pw', helperEnv.VB_INDEX_PASSWORD)
        shCalls.drop(1).each { Map call ->
            assertFalse(call.env.VB_STAGE as String, call.env.values().any { it.contains('index-s3cret-pw') })
        }
        shCalls.each { Map call -> assertFalse((call.script as String).contains('index-s3cret-pw')) }
        assertEquals([], workspaceFilesHolding('index-s3cret-pw'))
    }

    @Test
    void aHelperThatCannotBeInstalledFailsTheBuild() {
        fakeHelper.exitCodes['install-helper'] = 5
        fakeHelper.errors['install-helper'] = 'could not install the helper from its lock (venvbuild-0.1.0-0123) into /t'

        String message = errorFrom { buildVenv(envName: 'demo') }

        assertTrue(message, message.endsWith('could not install the helper from its lock (venvbuild-0.1.0-0123) into /t'))
        assertEquals(['install-helper'], fakeHelper.commands)
        assertEquals([], stageNames())
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
        fakeHelper.conflictFree = false

        String message = errorFrom { buildVenv(envName: 'demo', failOnConflicts: true, bucket: 'team-venvs') }

        assertEquals('FAILURE', result())
        assertTrue(message, message.contains('venvbuild: error: 1 dependency conflict(s), first: b 1.0 needs a<2'))
        assertTrue(message, message.contains('exit code 4 (dependency conflicts with --fail-on-conflicts)'))
        assertEquals(ALL_STAGES.take(3), stageNames())
        assertEquals([], unstables)
    }

    @Test
    void conflictsMarkTheCheckDependenciesStageUnstableWithoutFailOnConflicts() {
        fakeHelper.conflictFree = false

        Map built = buildVenv(envName: 'demo', failOnConflicts: false, bucket: 'team-venvs')

        assertEquals('UNSTABLE', result())
        assertEquals([[stage  : 'Check dependencies',
                       message: 'buildVenv: 1 dependency conflict(s), first: b 1.0 needs a<2, a 2.0 is installed; ' +
                           'see venvbuild-work/demo/default/artifacts/pipdeptree.txt']], unstables)
        assertEquals(false, built.conflictFree)
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

        assertEquals('true', envOf('validate').VB_ALLOW_UNPINNED)
    }

    @Test
    void nullOptionsTakeTheirDefaults() {
        buildVenv(envName: 'demo', requirePinned: null, failOnConflicts: null, prefix: null, bucket: 'team-venvs')

        Map<String, String> publishEnv = envOf('publish')
        assertEquals('false', publishEnv.VB_ALLOW_UNPINNED)
        assertEquals('s3://team-venvs/venv-builds', publishEnv.VB_STORE)
    }

    @Test
    void aWindowsAgentGetsOneLineBeforeAnyStage() {
        unix = false

        String message = errorFrom { buildVenv(envName: 'demo') }

        assertEquals('buildVenv: this agent runs Windows; the venvbuild helper needs a Linux or macOS agent with python3', message)
        assertEquals([], shCalls)
        assertEquals([], stageNames())
    }

    @Test
    void anUnknownIndexCredentialsIdIsOneLineBeforeAnyStage() {
        String message = errorFrom {
            buildVenv(envName: 'demo', helperIndexUrl: 'https://pypi.example.com/simple/', helperIndexCredentialsId: 'no-such-id')
        }

        assertEquals("buildVenv: helperIndexCredentialsId 'no-such-id' is not usable username/password credentials: " +
            "Could not find credentials entry with ID 'no-such-id'", message)
        assertEquals([], shCalls)
        assertEquals([], stageNames())
    }

    @Test
    void installFailureFailsAndStillArchivesTheInstallLog() {
        fakeHelper.exitCodes.install = 5
        fakeHelper.errors.install = 'pip install failed (exit 1); see install.log'

        String message = errorFrom { buildVenv(envName: 'demo') }

        assertTrue(message, message.contains('exit code 5 (install failed): venvbuild: error: pip install failed'))
        assertEquals(1, archived.size())
        assertTrue(archived[0].artifacts.contains('venvbuild-work/demo/default/install.log'))
    }

    @Test
    void bindsAwsCredentialsForPublishWhenAnIdIsGiven() {
        buildVenv(envName: 'demo', bucket: 'team-venvs', awsCredentialsId: 'aws-publisher')

        assertEquals([[[$class           : 'AmazonWebServicesCredentialsBinding', credentialsId: 'aws-publisher',
                        accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY']]],
            credentialBindings)
        assertEquals('test-access-key', envOf('publish').AWS_ACCESS_KEY_ID)
        assertNull('only Publish sees the credentials', shCalls.first().env.AWS_ACCESS_KEY_ID)
        assertEquals([], workspaceFilesHolding('test-secret-key'))
    }

    @Test
    void usesTheAgentsOwnAwsRoleWithoutACredentialsId() {
        buildVenv(envName: 'demo', bucket: 'team-venvs')

        assertEquals([], credentialBindings)
    }

    @Test
    void archivesTheTarballOnlyWhenItIsNotPublished() {
        buildVenv(envName: 'demo')
        buildVenv(envName: 'demo', bucket: 'team-venvs')
        buildVenv(envName: 'demo', bucket: 'team-venvs', archiveVenv: true)
        buildVenv(envName: 'demo', archiveVenv: false)

        String all = 'venvbuild-work/demo/default/artifacts/**, venvbuild-work/demo/default/install.log'
        String tarballs = 'venvbuild-work/demo/default/artifacts/venv_*.tar.*'
        assertEquals([[artifacts: all, excludes: '', allowEmptyArchive: true],
                      [artifacts: all, excludes: tarballs, allowEmptyArchive: true],
                      [artifacts: all, excludes: '', allowEmptyArchive: true],
                      [artifacts: all, excludes: tarballs, allowEmptyArchive: true]], archived)
    }

    @Test
    void clearsTheWorkDirOfAnEarlierBuildOfTheSameCallBeforeValidating() {
        File stale = new File(workspace, 'venvbuild-work/demo/3.11/artifacts/venv_20200101_000000.tar.gz')
        File other = new File(workspace, 'venvbuild-work/demo/3.12/artifacts/venv_20200101_000000.tar.gz')
        [stale, other].each { it.parentFile.mkdirs(); it.text = 'old' }

        buildVenv(envName: 'demo', pythonVersion: '3.11')

        assertFalse(stale.exists())
        assertTrue('another call\'s folder is left alone', other.exists())
    }

    @Test
    void twoCallsInParallelInOneWorkspaceKeepTheirOwnFilesAndArchives() {
        Map results = [:]
        Script step = loadStep('buildVenv')

        step.parallel([
            'demo 3.10': { results.a = step.call(envName: 'demo', pythonVersion: '3.10', bucket: 'team-venvs', cleanWorkDir: false) },
            'demo 3.11': { results.b = step.call(envName: 'demo', pythonVersion: '3.11', bucket: 'team-venvs', cleanWorkDir: false) },
        ])

        assertEquals('3.10', results.a.pythonVersion)
        assertEquals('3.11', results.b.pythonVersion)
        assertEquals(['venvbuild-work/demo/3.10/artifacts/**, venvbuild-work/demo/3.10/install.log',
                      'venvbuild-work/demo/3.11/artifacts/**, venvbuild-work/demo/3.11/install.log'], archived*.artifacts)
        ['3.10', '3.11'].each { String v ->
            File tarball = new File(workspace, "venvbuild-work/demo/${v}/artifacts/${FakeHelper.VENV_VERSION}.tar.gz")
            assertEquals("tarball of demo ${v}".toString(), tarball.text)
            assertTrue(new File(workspace, "venvbuild-work/demo/${v}/artifacts/metadata.json").file)
        }
        assertEquals(ALL_STAGES.collect { "demo 3.10: ${it}".toString() } + ALL_STAGES.collect { "demo 3.11: ${it}".toString() },
            stageNames())
        assertEquals('SUCCESS', result())
    }

    @Test
    void pythonVersionsBuildsEachInItsOwnParallelBranch() {
        Map results = buildVenv(envName: 'demo', pythonVersions: ['3.10', '3.12'])

        assertEquals(['3.10', '3.12'], results.keySet() as List)
        assertEquals('3.10', results['3.10'].pythonVersion)
        assertEquals('3.12', results['3.12'].pythonVersion)
        assertEquals(1, helper.callStack.count { it.methodName == 'parallel' })
        assertEquals(['demo 3.10', 'demo 3.12'], (helper.callStack.find { it.methodName == 'parallel' }.args[0] as Map).keySet() as List)
        assertTrue(stageNames().contains('demo 3.12: Metadata'))
        assertEquals(['venvbuild-work/demo/3.10/install.log', 'venvbuild-work/demo/3.12/install.log'],
            archived*.artifacts.collect { it.split(', ')[1] })
    }

    @Test
    void stagePrefixNamesTheStagesWhenAsked() {
        buildVenv(envName: 'demo', stagePrefix: 'nightly')

        assertEquals((ALL_STAGES - 'Publish').collect { "nightly: ${it}".toString() }, stageNames())
    }

    @Test
    void anEmptyStagePrefixKeepsThePlainNamesInsideParallel() {
        Script step = loadStep('buildVenv')

        step.parallel([one: { step.call(envName: 'demo', stagePrefix: '') }])

        assertEquals(ALL_STAGES - 'Publish', stageNames())
    }

    @Test
    void callsTheFailureHookWithTheStageMessageAndResult() {
        fakeHelper.exitCodes.package = 2
        fakeHelper.errors.package = 'no venv in the work dir; run install first'
        List<Map> failures = []

        String message = errorFrom { buildVenv(envName: 'demo', onFailure: recordInto(failures)) }

        assertEquals([[stage: 'Package', message: message, result: 'FAILURE']], failures)
    }

    /**
     * A fresh build in which the sh step of command throws error (what Jenkins throws into a running step);
     * returns what onFailure was given, after checking that the build ended with that very error.
     */
    List<Map> failuresWhenShThrows(String command, Throwable error, Closure arrange = {}) {
        setUp()
        arrange()
        answerShWithFakeHelper()
        fakeHelper = new FakeHelper()
        fakeHelper.throwing[command] = error
        List<Map> failures = []
        try {
            buildVenv(envName: 'demo', bucket: 'team-venvs', onFailure: recordInto(failures))
            fail("${error} in ${command} must end the build")
        } catch (Throwable thrown) {
            assertSame(command, error, thrown)
        }
        return failures
    }

    @Test
    void anAbortInEachStageCallsTheHookWithAbortedAndAMessage() {
        STAGE_OF.each { String command, String stage ->
            List<Map> failures = failuresWhenShThrows(command,
                new FlowInterruptedException('ABORTED', [new FlowInterruptedException.Cause('Aborted by alice')]))

            assertEquals(command, [[stage: stage, message: 'Aborted by alice', result: 'ABORTED']], failures)
            assertEquals('archived once a stage has started', stage ? 1 : 0, archived.size())
        }
    }

    @Test
    void anAgentLostInEachStageKeepsItsOwnErrorOverTheArchivingOne() {
        STAGE_OF.each { String command, String stage ->
            Closure lose = { -> archiveError = new IOException('Unable to create live FilePath for agent-7') }
            List<Map> failures = failuresWhenShThrows(command, new IOException('Cannot contact agent-7: java.io.EOFException'), lose)

            assertEquals(command, [[stage: stage, message: 'Cannot contact agent-7: java.io.EOFException', result: 'FAILURE']], failures)
            assertEquals(command, stage ? ["buildVenv: archiving the artifacts failed too, after the build's own error: " +
                'Unable to create live FilePath for agent-7'] : [], echoes)
        }
    }

    @Test
    void anAbortWithoutCausesStillHasAMessage() {
        fakeHelper.throwing.install = new FlowInterruptedException('ABORTED', [])
        List<Map> failures = []

        try {
            buildVenv(envName: 'demo', onFailure: recordInto(failures))
            fail('expected the abort')
        } catch (FlowInterruptedException expected) {
            assertNotNull(expected)
        }

        assertEquals([[stage: 'Create venv and install', message: 'aborted', result: 'ABORTED']], failures)
    }

    @Test
    void anArchivingErrorAfterASuccessfulBuildFailsIt() {
        archiveError = new IOException('disk full')

        try {
            buildVenv(envName: 'demo')
            fail('expected the archiving error')
        } catch (IOException expected) {
            assertEquals('disk full', expected.message)
        }
    }

    @Test
    void aFailingHookDoesNotHideTheBuildsFailure() {
        fakeHelper.exitCodes.validate = 3
        fakeHelper.errors.validate = 'unpinned: pandas'

        String message = errorFrom { buildVenv(envName: 'demo', onFailure: throwing(new IllegalStateException('no mail'))) }

        assertTrue(message, message.endsWith('unpinned: pandas'))
        assertTrue(echoes.contains('buildVenv: onFailure hook failed: no mail'))
    }

    @Test
    void doesNotCallTheFailureHookOrNotifyOnSuccess() {
        List<Map> failures = []
        helper.registerAllowedMethod('slackSend', [Map], { Map args -> fail('no notification on success') })

        buildVenv(envName: 'demo', onFailure: recordInto(failures), notify: [slack: '#builds'])

        assertEquals([], failures)
    }

    @Test
    void notifiesSlackAndEmailOnFailure() {
        List<Map> slack = []
        List<Map> mails = []
        helper.registerAllowedMethod('slackSend', [Map], { Map args -> slack << args })
        helper.registerAllowedMethod('mail', [Map], { Map args -> mails << args })
        env.BUILD_URL = 'https://ci.example.com/job/venvs/7/'
        fakeHelper.exitCodes.install = 5
        fakeHelper.errors.install = 'pip install failed (exit 1)'

        String message = errorFrom {
            buildVenv(envName: 'demo', pythonVersion: '3.11', notify: [slack: '#ml-builds', email: 'ml-team@example.com'])
        }

        String text = "buildVenv demo (Python 3.11): FAILURE in Create venv and install: ${message} (https://ci.example.com/job/venvs/7/)"
        assertEquals([[channel: '#ml-builds', color: 'danger', message: text]], slack)
        assertEquals([[to: 'ml-team@example.com', subject: text.take(200), body: text]], mails)
    }

    @Test
    void notifiesWhenConflictsMakeTheBuildUnstable() {
        List<Map> slack = []
        helper.registerAllowedMethod('slackSend', [Map], { Map args -> slack << args })
        fakeHelper.conflictFree = false

        buildVenv(envName: 'demo', pythonVersion: '3.11', failOnConflicts: false, notify: [slack: '#ml-builds'])

        assertEquals('UNSTABLE', result())
        assertEquals(1, slack.size())
        assertEquals('warning', slack[0].color)
        assertTrue(slack[0].message, slack[0].message.startsWith('buildVenv demo (Python 3.11): UNSTABLE in Check dependencies: ' +
            'buildVenv: 1 dependency conflict(s)'))
    }

    @Test
    void notifiesWhenASuccessfulBuildFollowsAFailedOne() {
        List<Map> slack = []
        helper.registerAllowedMethod('slackSend', [Map], { Map args -> slack << args })
        binding.getVariable('currentBuild').previousBuild = [result: 'FAILURE']
        env.BUILD_URL = 'https://ci.example.com/job/venvs/8/'

        buildVenv(envName: 'demo', notify: [slack: '#ml-builds'])

        assertEquals([[channel: '#ml-builds', color: 'good',
                       message: 'buildVenv demo: back to normal after FAILURE (https://ci.example.com/job/venvs/8/)']], slack)

        slack.clear()
        binding.getVariable('currentBuild').previousBuild = [result: 'SUCCESS']
        buildVenv(envName: 'demo', notify: [slack: '#ml-builds'])
        assertEquals('a success after a success is not news', [], slack)
    }

    @Test
    void saysWhichNotificationsItSkippedWhenTheirStepsAreMissing() {
        fakeHelper.exitCodes.install = 5
        fakeHelper.errors.install = 'pip install failed (exit 1)'

        errorFrom { buildVenv(envName: 'demo', notify: [slack: '#ml-builds', email: 'ml-team@example.com']) }

        assertEquals(['buildVenv: skipped the Slack #ml-builds: the slackSend step is not installed on this controller',
                      'buildVenv: skipped the e-mail to ml-team@example.com: the mail step is not installed on this controller'],
            echoes)
    }

    @Test
    void aFailingNotificationIsOneLineAndTheBuildsErrorStays() {
        helper.registerAllowedMethod('slackSend', [Map], { Map args -> throw new IllegalStateException('Slack said 403') })
        fakeHelper.exitCodes.validate = 3
        fakeHelper.errors.validate = 'unpinned: pandas'

        String message = errorFrom { buildVenv(envName: 'demo', notify: [slack: '#ml-builds']) }

        assertTrue(message, message.endsWith('unpinned: pandas'))
        assertEquals(['buildVenv: the Slack #ml-builds failed: Slack said 403'], echoes)
    }
}
