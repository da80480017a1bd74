import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue

import io.venvbuild.HelperTool
import org.junit.AfterClass
import org.junit.Before
import org.junit.BeforeClass
import org.junit.Test
import org.junit.rules.TemporaryFolder

/**
 * buildVenv as a team adopting it runs it: no helperCommand, so the helper is installed from its
 * hash-pinned lock (pip --require-hashes) from a package index on 127.0.0.1 that holds the venvbuild
 * wheel built from this tree and the lock's dependencies (python/tests/_support/helper_index.py), with index
 * credentials bound; then the build publishes to moto's S3 server on 127.0.0.1 with AWS credentials
 * bound. Every sh script really runs.
 *
 * The lock the step reads is the committed one with the venvbuild entry's hash swapped for this tree's
 * wheel (helper_index.py writes it): the committed lock pins the released wheel, which differs from a
 * working tree's until `.ci/release-helper` runs.
 */
class BuildVenvDefaultInstallEndToEndTest extends PipelineTestBase {

    static final String BUCKET = 'e2e-venvs'

    static TemporaryFolder shared = new TemporaryFolder()
    static LocalServer index
    static LocalServer s3
    static String treeLock
    static File toolRoot

    StringBuilder log = new StringBuilder()

    @BeforeClass
    static void startIndexAndS3() {
        BuildVenvEndToEndTest.requireHelper(ShellRunner.onPath('venvbuild'), System.getenv('CI'))
        shared.create()
        File indexDir = shared.newFolder('index')
        File cache = new File(PROJECT_DIR, 'build/helper-index-cache')
        LocalServer.run([LocalServer.python(), '-m', 'tests._support.helper_index', '--cache', cache.path, '--out', indexDir.path],
            [PYTHONPATH: 'python'])
        treeLock = new File(indexDir, 'helper-lock.txt').text
        index = LocalServer.start([LocalServer.python(), '-m', 'http.server', '--bind', '127.0.0.1', '--directory', indexDir.path, 'PORT'],
            new File(shared.root, 'index.log'))
        s3 = LocalServer.start([LocalServer.python(), '-m', 'moto.server', '-H', '127.0.0.1', '-p', 'PORT'], new File(shared.root, 's3.log'))
        s3Client("s3.create_bucket(Bucket='${BUCKET}')")
        toolRoot = shared.newFolder('agent-cache')
    }

    @AfterClass
    static void stopServers() {
        index?.stop()
        s3?.stop()
        if (toolRoot?.exists()) {
            // The tool is read-only by design.
            LocalServer.run(['chmod', '-R', 'u+w', toolRoot.path])
        }
        shared.delete()
    }

    /** Runs Python with `s3`, a boto3 client of the moto server; returns what it prints. */
    static String s3Client(String code) {
        String script = "import boto3\ns3 = boto3.client('s3', endpoint_url='${s3.url}', region_name='us-east-1', " +
            "aws_access_key_id='test-access-key', aws_secret_access_key='test-secret-key')\n${code}\n"
        return LocalServer.run([LocalServer.python(), '-c', script])
    }

    @Before
    void runShForRealWithTheTreesLock() {
        shHandler = { Map call -> ShellRunner.run(call, log) }
        helper.registerAllowedMethod('libraryResource', [String], { String path ->
            path == HelperTool.LOCK ? treeLock : new File(PipelineTestBase.PROJECT_DIR, "resources/${path}").getText('UTF-8')
        })
        File wheels = temporaryFolder.newFolder('wheels')
        TinyWheel.write(wheels)
        new File(workspace, 'requirements.txt').text = "--no-index\n--find-links ${wheels.absolutePath}\ntinypkg==1.0\n"
    }

    Map defaultInstallOptions() {
        return [helperIndexUrl: "${index.url}/simple/".toString(), helperIndexCredentialsId: 'index-reader',
                helperToolRoot: toolRoot.path, bucket: BUCKET, endpointUrl: s3.url, region: 'us-east-1',
                awsCredentialsId: 'aws-publisher', cleanWorkDir: false]  // kept to compare with what is in S3
    }

    Map run(Closure body) {
        try {
            return body() as Map
        } catch (Throwable e) {
            println(log)
            throw e
        }
    }

    List<String> workspaceFilesHolding(String value) {
        List<String> found = []
        workspace.eachFileRecurse { File f ->
            if (f.file && !java.nio.file.Files.isSymbolicLink(f.toPath()) && f.getText('ISO-8859-1').contains(value)) {
                found << f.path
            }
        }
        return found
    }

    @Test
    void installsTheHelperFromTheLockAndPublishesToS3() {
        Map built = run { loadStep('buildVenv').call([envName: 'tiny-default', pythonVersion: '3.11'] + defaultInstallOptions()) }

        assertEquals(log.toString(), 'SUCCESS', result())
        assertEquals(BuildVenvTest.ALL_STAGES, stageNames())
        String version = new File(PROJECT_DIR, 'resources/venvbuild/VERSION').text.trim()
        assertEquals('only the hash-checked wheels are shared by the agent\'s builds', ['wheels'], toolRoot.list() as List)
        assertTrue(log.toString(), log.toString().contains("installing the venvbuild helper ${version} from its lock"))
        assertTrue('the helper was this build\'s, under the workspace\'s @tmp', new File(workspaceTmp, 'venvbuild/tiny-default/3.11/helper').directory)
        String prefix = "venv-builds/${built.venvVersion}/"
        assertEquals("s3://${BUCKET}/${prefix}${built.venvVersion}.tar.gz".toString(), built.archiveUrl)
        List<String> keys = s3Client("print('\\n'.join(o['Key'] for o in s3.list_objects_v2(Bucket='${BUCKET}', Prefix='${prefix}')['Contents']))")
            .readLines()
        // Every artifact the build made is in S3, the design's seven among them.
        List<String> made = new File(workspace, 'venvbuild-work/tiny-default/3.11/artifacts').list().sort() as List
        assertEquals(made, keys.collect { it - prefix }.sort())
        assertTrue(made.toString(), made.containsAll(['installed_packages.json', 'installed_packages.txt', 'metadata.json',
            'pipdeptree.json', 'pipdeptree.txt', 'requirements.txt', "${built.venvVersion}.tar.gz".toString()]))
        assertEquals([[artifacts: 'venvbuild-work/tiny-default/3.11/artifacts/**, venvbuild-work/tiny-default/3.11/install.log',
                       excludes : 'venvbuild-work/tiny-default/3.11/artifacts/venv_*.tar.*', allowEmptyArchive: true]], archived)
        ['test-secret-key', 'test-access-key', 'index-s3cret-pw'].each { String secret ->
            assertEquals("no workspace file holds ${secret}".toString(), [], workspaceFilesHolding(secret))
            assertTrue(!log.toString().contains(secret))
        }
    }

    @Test
    void twoCallsInParallelInOneWorkspaceBothBuild() {
        Map results = [:]
        Script step = loadStep('buildVenv')

        run {
            step.parallel([
                'tiny 3.11': { results['3.11'] = step.call([envName: 'tiny-par', pythonVersion: '3.11'] + defaultInstallOptions()) },
                'tiny 3.12': { results['3.12'] = step.call([envName: 'tiny-par', pythonVersion: '3.12'] + defaultInstallOptions()) },
            ])
        }

        assertEquals(log.toString(), 'SUCCESS', result())
        ['3.11', '3.12'].each { String v ->
            assertEquals(v, results[v].pythonVersion)
            File artifacts = new File(workspace, "venvbuild-work/tiny-par/${v}/artifacts")
            assertTrue(new File(artifacts, "${results[v].venvVersion}.tar.gz").file)
            assertTrue(new File(artifacts, 'metadata.json').text.contains("\"python_version\": \"${v}\"") ||
                new File(artifacts, 'metadata.json').text.contains("\"python_version\":\"${v}\""))
        }
        assertTrue('each build its own version', results['3.11'].venvVersion != results['3.12'].venvVersion)
        assertEquals(['venvbuild-work/tiny-par/3.11/artifacts/**, venvbuild-work/tiny-par/3.11/install.log',
                      'venvbuild-work/tiny-par/3.12/artifacts/**, venvbuild-work/tiny-par/3.12/install.log'], archived*.artifacts)
        assertTrue(stageNames().containsAll(['tiny-par 3.11: Publish', 'tiny-par 3.12: Publish']))
        assertEquals([], workspaceFilesHolding('test-secret-key'))
        assertEquals([], workspaceFilesHolding('index-s3cret-pw'))
    }
}
