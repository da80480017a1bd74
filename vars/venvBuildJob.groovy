// venvBuildJob: a whole parameterized job around buildVenv: its parameters (ENV_NAME, PYTHON_VERSION,
// FAIL_ON_CONFLICTS, REQUIREMENTS, BUCKET, PREFIX), a clean workspace, checkout scm, the build.
// Help: vars/venvBuildJob.txt.
import io.venvbuild.NamingRules
import io.venvbuild.VenvBuildJobOptions

Map call(Map config = [:]) {
    Map defaults = [
        pythonVersions: ['3.12', '3.11', '3.10'], // PYTHON_VERSION choices; the first is the default
        requirements  : 'requirements.txt',       // REQUIREMENTS parameter's default
        bucket        : '',                       // BUCKET parameter's default; empty: build without publishing
        prefix        : 'venv-builds',            // PREFIX parameter's default
        label         : null,                     // agent label to build on; null: any agent
        buildVenv     : [:],                      // further buildVenv options, e.g. awsCredentialsId, region
        catalog       : false,                    // true: regenerate and publish the store's catalog after a publish (venvCatalog)
    ]
    String problem = VenvBuildJobOptions.problem(defaults, config)
    if (problem) {
        error(problem)
    }
    Map options = defaults + config
    Map namingRules = NamingRules.parse(libraryResource('venvbuild/naming.json'))

    properties([parameters([
        string(name: 'ENV_NAME', defaultValue: '', trim: true,
            description: "Name of the environment: ${namingRules.env_name.rule}."),
        choice(name: 'PYTHON_VERSION', choices: options.pythonVersions, description: 'Python version of the venv.'),
        booleanParam(name: 'FAIL_ON_CONFLICTS', defaultValue: true,
            description: 'Fail the build on dependency conflicts; unticked, conflicts make it UNSTABLE.'),
        string(name: 'REQUIREMENTS', defaultValue: options.requirements, trim: true,
            description: 'Pinned requirements file in the repository.'),
        string(name: 'BUCKET', defaultValue: options.bucket, trim: true,
            description: 'S3 bucket to publish to; empty: build and archive only.'),
        string(name: 'PREFIX', defaultValue: options.prefix, trim: true, description: 'Key prefix in the bucket.'),
    ])])
    if (!params.ENV_NAME) {
        error('venvBuildJob: ENV_NAME is required; run the job with "Build with Parameters"')
    }

    Map buildOptions = options.buildVenv + [
        envName        : params.ENV_NAME,
        pythonVersion  : params.PYTHON_VERSION,
        failOnConflicts: params.FAIL_ON_CONFLICTS,
        requirements   : params.REQUIREMENTS,
        bucket         : params.BUCKET ?: null,
        prefix         : params.PREFIX,
    ]
    Map result = null
    Closure build = {
        deleteDir()
        Map scmVars = checkout(scm) ?: [:]
        // Pipelines do not export the checked-out commit; the helper records it in metadata.json.
        withEnv(scmVars.GIT_COMMIT ? ["GIT_COMMIT=${scmVars.GIT_COMMIT}"] : []) {
            result = buildVenv(buildOptions)
        }
        if (options.catalog) {
            publishCatalog(buildOptions)
        }
    }
    if (options.label) {
        node(options.label, build)
    } else {
        node(build)
    }
    return result
}

// After a publish, the store's catalog (vars/venvCatalog.groovy); without a bucket nothing was published.
void publishCatalog(Map buildOptions) {
    if (!buildOptions.bucket) {
        echo 'venvBuildJob: catalog: true, but no BUCKET was given, so nothing was published; no catalog'
        return
    }
    venvCatalog(store: "s3://${buildOptions.bucket}/${buildOptions.prefix}".toString(),
        region: buildOptions.region, endpointUrl: buildOptions.endpointUrl,
        awsCredentialsId: buildOptions.awsCredentialsId,
        helperCommand: buildOptions.helperCommand ?: io.venvbuild.BuildPaths.TOOL_COMMAND)
}
