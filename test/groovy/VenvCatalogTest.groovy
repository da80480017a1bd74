import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue

import org.junit.Before
import org.junit.Test

/** venvCatalog, and venvBuildJob(catalog: true) calling it after a publish. */
class VenvCatalogTest extends PipelineTestBase {

    List<Map> published = []
    FakeHelper fakeHelper = new FakeHelper()

    @Before
    void htmlPublisherInstalled() {
        helper.registerAllowedMethod('publishHTML', [Map], { Map args -> published << args.target })
        shHandler = { Map call -> call.env.VB_STAGE ? fakeHelper.run(call) : 0 }
    }

    List<Map> catalogCalls() {
        return shCalls.findAll { !it.env.VB_STAGE }
    }

    @Test
    void generatesWithValuesInTheEnvironmentThenPublishes() {
        loadStep('venvCatalog').call(store: 's3://team-venvs/ml', region: 'eu-west-1', awsCredentialsId: 'aws-reader')

        assertEquals(['install-helper', 'verify-helper'], fakeHelper.commands)
        assertEquals(1, catalogCalls().size())
        Map call = catalogCalls()[0]
        assertEquals('venvbuild catalog', call.label)
        assertEquals(new File(PROJECT_DIR, 'resources/venvbuild/run-catalog.sh').text, call.script)
        assertEquals('s3://team-venvs/ml', call.env.VB_STORE)
        assertEquals('venvbuild-catalog', call.env.VB_CATALOG_OUT)
        assertEquals('eu-west-1', call.env.VB_REGION)
        assertEquals('the tool from the lock, as buildVenv installs it', FakeHelper.TOOL_COMMAND, call.env.VB_HELPER)
        assertEquals('test-access-key', call.env.AWS_ACCESS_KEY_ID)
        assertTrue('no value in the script text', !call.script.contains('team-venvs'))
        assertEquals([[reportDir: 'venvbuild-catalog', reportFiles: 'index.html', reportName: 'Venv catalog',
                       keepAll: false, alwaysLinkToLastBuild: true, allowMissing: false]], published)
    }

    @Test
    void withoutTheHtmlPublisherOneEchoLine() {
        helper.registerAllowedMethod('publishHTML', [Map], { Map args ->
            throw new NoSuchMethodError('No such DSL method \'publishHTML\' found among steps')
        })

        loadStep('venvCatalog').call(store: '/srv/venvs', out: 'site', helperCommand: '/opt/venvbuild/bin/venvbuild')

        assertEquals(['install-helper'], fakeHelper.commands)
        assertEquals('/opt/venvbuild/bin/venvbuild', catalogCalls()[0].env.VB_HELPER)
        assertEquals(['venvCatalog: the HTML Publisher plugin is not installed; the catalog is in site/ of the workspace'],
            echoes)
    }

    @Test
    void aWindowsAgentGetsOneLineBeforeAnyShell() {
        unix = false

        assertEquals('venvCatalog: this agent runs Windows; the venvbuild helper needs a Linux or macOS agent with python3',
            errorFrom { loadStep('venvCatalog').call(store: 's3://team-venvs/ml') })
        assertEquals([], shCalls)
    }

    @Test
    void eachCallHasItsOwnLogAndHelperFolders() {
        Script step = loadStep('venvCatalog')
        step.call(store: 's3://team-venvs/ml', out: 'site-a')
        step.call(store: 's3://team-venvs/ml', out: 'site-b')

        List<Map> installs = shCalls.findAll { it.env.VB_STAGE == 'install-helper' }
        assertEquals(2, installs.size())
        assertEquals(2, installs*.env*.VB_STDERR_FILE.unique().size())
        assertEquals(2, installs*.env*.VB_TOOL_DIR.unique().size())
        installs.each { Map call ->
            assertTrue(call.env.VB_STDERR_FILE, call.env.VB_STDERR_FILE ==~ /\.venvbuild-logs\/catalog-[0-9a-f]{8}\/install-helper\.stderr/)
            assertTrue(call.env.VB_TOOL_DIR, call.env.VB_TOOL_DIR.startsWith("${workspaceTmp.path}/venvbuild/catalog-"))
        }
        assertEquals('the helpers are gone with their calls', [], new File(workspaceTmp, 'venvbuild').list() as List)
    }

    @Test
    void refusesUnknownKeysAndAMissingStore() {
        String unknown = errorFrom { loadStep('venvCatalog').call(store: 's3://b/p', outdir: 'x') }
        assertTrue(unknown, unknown.startsWith('venvCatalog: unknown option outdir'))
        assertEquals('venvCatalog: store is required (s3://BUCKET/PREFIX or a folder)',
            errorFrom { loadStep('venvCatalog').call([:]) })
        assertEquals([], shCalls)
    }

    @Test
    void venvBuildJobWithCatalogRegeneratesItAfterThePublish() {
        List<String> order = []
        helper.registerAllowedMethod('checkout', [Map], { Map scm -> [:] })
        helper.registerAllowedMethod('buildVenv', [Map], { Map args -> order << 'buildVenv'; [venvVersion: 'v'] })
        helper.registerAllowedMethod('venvCatalog', [Map], { Map args ->
            order << "venvCatalog ${args.store} ${args.awsCredentialsId} ${args.helperToolRoot}".toString()
        })
        binding.setVariable('params', [ENV_NAME: 'demo', PYTHON_VERSION: '3.11', FAIL_ON_CONFLICTS: true,
                                       REQUIREMENTS: 'requirements.txt', BUCKET: 'team-venvs', PREFIX: 'ml'])

        loadStep('venvBuildJob').call(catalog: true, buildVenv: [awsCredentialsId: 'aws-publisher', helperToolRoot: '/var/tools'])

        assertEquals(['buildVenv', 'venvCatalog s3://team-venvs/ml aws-publisher /var/tools'], order)
    }

    @Test
    void venvBuildJobWithCatalogButNoBucketSaysSo() {
        helper.registerAllowedMethod('checkout', [Map], { Map scm -> [:] })
        helper.registerAllowedMethod('buildVenv', [Map], { Map args -> [venvVersion: 'v'] })
        binding.setVariable('params', [ENV_NAME: 'demo', PYTHON_VERSION: '3.11', FAIL_ON_CONFLICTS: true,
                                       REQUIREMENTS: 'requirements.txt', BUCKET: '', PREFIX: 'ml'])

        loadStep('venvBuildJob').call(catalog: true)

        assertEquals(['venvBuildJob: catalog: true, but no BUCKET was given, so nothing was published; no catalog'], echoes)
    }
}
