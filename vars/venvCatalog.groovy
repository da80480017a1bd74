// venvCatalog: regenerates the static catalog of a store's builds (venvbuild catalog) in the workspace and
// publishes it with the HTML Publisher plugin when that plugin is installed. Help: vars/venvCatalog.txt.
import io.venvbuild.BuildPaths
import io.venvbuild.StepArguments

void call(Map config = [:]) {
    Map defaults = [
        store           : null,                      // s3://BUCKET/PREFIX or a folder on the agent (required)
        out             : 'venvbuild-catalog',       // the site's folder in the workspace
        reportName      : 'Venv catalog',            // the link's name on the job page
        region          : null,                      // AWS region of the bucket; null: the agent's configuration
        endpointUrl     : null,                      // an S3-compatible endpoint; null: AWS
        awsCredentialsId: null,                      // Jenkins AWS credentials to read the bucket; null: the agent's
        helperCommand   : BuildPaths.TOOL_COMMAND,   // the helper; default: the one buildVenv installed
    ]
    String problem = StepArguments.unknownKeys('venvCatalog', defaults, config)
    if (!problem && !config.store) {
        problem = 'venvCatalog: store is required (s3://BUCKET/PREFIX or a folder)'
    }
    if (problem) {
        error(problem)
    }
    Map options = defaults + config
    List<String> environment = [
        "VB_STORE=${options.store}", "VB_CATALOG_OUT=${options.out}", "VB_REGION=${options.region ?: ''}",
        "VB_ENDPOINT_URL=${options.endpointUrl ?: ''}", "VB_HELPER=${options.helperCommand}",
    ].collect { it.toString() }
    Closure generate = {
        withEnv(environment) {
            sh(label: 'venvbuild catalog', script: libraryResource('venvbuild/run-catalog.sh'))
        }
    }
    if (options.awsCredentialsId) {
        withCredentials([[$class           : 'AmazonWebServicesCredentialsBinding', credentialsId: options.awsCredentialsId,
                          accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY']], generate)
    } else {
        generate()
    }
    try {
        publishHTML(target: [reportDir: options.out, reportFiles: 'index.html', reportName: options.reportName,
                             keepAll: false, alwaysLinkToLastBuild: true, allowMissing: false])
    } catch (NoSuchMethodError ignored) {
        echo "venvCatalog: the HTML Publisher plugin is not installed; the catalog is in ${options.out}/ of the workspace"
    }
}
