// venvCatalog: regenerates the static catalog of a store's builds (venvbuild catalog) in the workspace and
// publishes it with the HTML Publisher plugin when that plugin is installed. Help: vars/venvCatalog.txt.
import io.venvbuild.AwsCredentials
import io.venvbuild.HelperTool
import io.venvbuild.NamingRules
import io.venvbuild.StepArguments

void call(Map config = [:]) {
    Map defaults = [
        store           : null,                      // s3://BUCKET/PREFIX or a folder on the agent (required)
        out             : 'venvbuild-catalog',       // the site's folder in the workspace
        reportName      : 'Venv catalog',            // the link's name on the job page
        region          : null,                      // AWS region of the bucket; null: the agent's configuration
        endpointUrl     : null,                      // an S3-compatible endpoint; null: AWS
        awsCredentialsId: null,                      // Jenkins AWS credentials to read the bucket; null: the agent's
    ] + HelperTool.DEFAULTS                          // the helper, as for buildVenv (the agent's tool is reused)
    String problem = StepArguments.unknownKeys('venvCatalog', defaults, config)
    if (!problem && !config.store) {
        problem = 'venvCatalog: store is required (s3://BUCKET/PREFIX or a folder)'
    }
    if (!problem) {
        problem = HelperTool.problem('venvCatalog', config, NamingRules.parse(libraryResource('venvbuild/naming.json')))
    }
    if (problem) {
        error(problem)
    }
    HelperTool.requireUnix(this, 'venvCatalog')
    Map options = defaults + config
    // Each call its own folders: two catalogs in parallel, or in one workspace, never share logs or a helper.
    String callId = StepArguments.callId('catalog')
    String logDir = ".venvbuild-logs/${callId}"
    String scratchDir = HelperTool.scratchDir(this, callId)
    HelperTool helperTool = new HelperTool(this, 'venvCatalog', options)
    helperTool.checkCredentials()
    try {
        generate(helperTool, options, logDir, scratchDir)
    } finally {
        HelperTool.remove(this, scratchDir)
    }
    try {
        publishHTML(target: [reportDir: options.out, reportFiles: 'index.html', reportName: options.reportName,
                             keepAll: false, alwaysLinkToLastBuild: true, allowMissing: false])
    } catch (NoSuchMethodError ignored) {
        echo "venvCatalog: the HTML Publisher plugin is not installed; the catalog is in ${options.out}/ of the workspace"
    }
}

void generate(HelperTool helperTool, Map options, String logDir, String scratchDir) {
    String helper = helperTool.install(logDir, scratchDir)
    // Plain Strings written out: a collect over the list with a closure misbehaves under CPS.
    List<String> environment = [
        "VB_STORE=${options.store}".toString(), "VB_CATALOG_OUT=${options.out}".toString(),
        "VB_REGION=${options.region ?: ''}".toString(), "VB_ENDPOINT_URL=${options.endpointUrl ?: ''}".toString(),
        "VB_HELPER=${helper}".toString(),
    ]
    Closure catalog = {
        withEnv(environment) {
            sh(label: 'venvbuild catalog', script: libraryResource('venvbuild/run-catalog.sh'))
        }
    }
    if (options.awsCredentialsId) {
        helperTool.verify(logDir)
    }
    AwsCredentials.bind(this, options.awsCredentialsId as String, catalog)
}
