// venvBuildJob: a whole parameterized job around buildVenv: its parameters (ENV_NAME, PYTHON_VERSION,
// FAIL_ON_CONFLICTS, REQUIREMENTS, BUCKET, PREFIX), job properties, a clean workspace, checkout scm, the
// build. Help: vars/venvBuildJob.txt.
import io.venvbuild.Failure
import io.venvbuild.HelperTool
import io.venvbuild.NamingRules
import io.venvbuild.Notifications
import io.venvbuild.VenvBuildJobOptions

Map call(Map config = [:]) {
    Map defaults = [
        envName        : null,                     // ENV_NAME's default; set it so SCM-, webhook- and first builds run
        pythonVersions : ['3.12', '3.11', '3.10'], // PYTHON_VERSION choices; the first is the default
        failOnConflicts: true,                     // FAIL_ON_CONFLICTS's default
        requirements   : 'requirements.txt',       // REQUIREMENTS parameter's default
        bucket         : '',                       // BUCKET parameter's default; empty: build without publishing
        prefix         : 'venv-builds',            // PREFIX parameter's default
        label          : null,                     // agent label to build on; null: any agent
        keepBuilds     : 30,                       // builds kept (buildDiscarder); null: keep all
        timeoutMinutes : 120,                      // the whole run's time limit; null: none
        disableConcurrentBuilds: true,             // one run at a time; false: runs may overlap
        buildVenv      : [:],                      // further buildVenv options, e.g. awsCredentialsId, region, notify
        catalog        : false,                    // true: regenerate and publish the store's catalog after a publish (venvCatalog)
    ]
    Map namingRules = NamingRules.parse(libraryResource('venvbuild/naming.json'))
    String problem = VenvBuildJobOptions.problem(defaults, config, namingRules)
    if (problem) {
        error(problem)
    }
    Map options = VenvBuildJobOptions.withDefaults(defaults, config)

    List jobProperties = []
    if (options.keepBuilds != null) {
        jobProperties << buildDiscarder(logRotator(numToKeepStr: "${options.keepBuilds}".toString()))
    }
    if (options.disableConcurrentBuilds) {
        jobProperties << disableConcurrentBuilds()
    }
    jobProperties << parameters([
        string(name: 'ENV_NAME', defaultValue: options.envName ?: '', trim: true,
            description: "Name of the environment: ${namingRules.env_name.rule}."),
        choice(name: 'PYTHON_VERSION', choices: options.pythonVersions, description: 'Python version of the venv.'),
        booleanParam(name: 'FAIL_ON_CONFLICTS', defaultValue: options.failOnConflicts,
            description: 'Fail the build on dependency conflicts; unticked, conflicts make it UNSTABLE.'),
        string(name: 'REQUIREMENTS', defaultValue: options.requirements, trim: true,
            description: 'Pinned requirements file in the repository.'),
        string(name: 'BUCKET', defaultValue: options.bucket, trim: true,
            description: 'S3 bucket to publish to; empty: build and archive only.'),
        string(name: 'PREFIX', defaultValue: options.prefix, trim: true, description: 'Key prefix in the bucket.'),
    ])
    properties(jobProperties)

    // A run started by SCM, a webhook or before the parameters existed has no params: the defaults apply.
    Map values = VenvBuildJobOptions.parameterValues(params, options)
    if (!values.envName) {
        error('venvBuildJob: ENV_NAME is empty; give it a default with venvBuildJob(envName: ...) or run "Build with Parameters"')
    }
    Map buildOptions = options.buildVenv + values
    Map result = null
    // buildVenv tells notify of its own failures; the job tells of the rest (the agent, the checkout, the
    // timeout, the catalog), so each failure is told once.
    Map where = [inBuildVenv: false, stage: 'checkout']
    Closure build = {
        where.stage = 'checkout'
        deleteDir()
        Map scmVars = checkout(scm) ?: [:]
        // Pipelines do not export the checked-out commit; the helper records it in metadata.json.
        withEnv(scmVars.GIT_COMMIT ? ["GIT_COMMIT=${scmVars.GIT_COMMIT}"] : []) {
            where.inBuildVenv = true
            result = buildVenv(buildOptions)
            where.inBuildVenv = false
        }
        if (options.catalog) {
            where.stage = 'catalog'
            publishCatalog(buildOptions)
        }
    }
    // A lost agent (or a restart the run cannot resume from) runs the whole run again on another agent, once.
    Closure onAgent = {
        retry(count: 2, conditions: [agent(), nonresumable()]) {
            where.inBuildVenv = false
            where.stage = 'agent'
            if (options.label) {
                node(options.label, build)
            } else {
                node(build)
            }
        }
    }
    try {
        if (options.timeoutMinutes != null) {
            timeout(time: options.timeoutMinutes, unit: 'MINUTES') { onAgent() }
        } else {
            onAgent()
        }
    } catch (err) {
        if (!where.inBuildVenv && buildOptions.notify instanceof Map) {
            Map failure = Failure.of(where.stage as String, err)
            Notifications.send(this, buildOptions.notify as Map, failure,
                Failure.describe(values.envName as String, failure, env.BUILD_URL as String, 'venvBuildJob'))
        }
        throw err
    }
    return result
}

// After a publish, the store's catalog (vars/venvCatalog.groovy); without a bucket nothing was published.
void publishCatalog(Map buildOptions) {
    if (!buildOptions.bucket) {
        echo 'venvBuildJob: catalog: true, but no BUCKET was given, so nothing was published; no catalog'
        return
    }
    // The same helper options as buildVenv's; the helper is installed for that call (its wheels from the agent's cache).
    venvCatalog([store: "s3://${buildOptions.bucket}/${buildOptions.prefix}".toString(),
                 region: buildOptions.region, endpointUrl: buildOptions.endpointUrl,
                 awsCredentialsId: buildOptions.awsCredentialsId] + HelperTool.optionsIn(buildOptions))
}
