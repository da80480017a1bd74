// tagVenv: points a tag (e.g. 'stable') at a build published to S3, or takes it away, as an append-only
// event in the bucket (`venvbuild tag`). Help: vars/tagVenv.txt.
import io.venvbuild.BuildVenvOptions
import io.venvbuild.HelperTool
import io.venvbuild.NamingRules
import io.venvbuild.TagVenvOptions

Map call(Map args = [:]) {
    Map defaults = [
        version         : null,          // required; the published build, venv_YYYYMMDD_HHMMSS
        tag             : null,          // required; the tag, e.g. 'stable' (naming.json tag)
        remove          : false,         // true: take the tag away from version (an event too)
        bucket          : null,          // required; the S3 bucket the build was published to
        prefix          : 'venv-builds', // key prefix in the bucket
        region          : null,          // AWS region; null: the agent's AWS configuration
        endpointUrl     : null,          // S3-compatible endpoint URL (e.g. MinIO); null: AWS
        awsCredentialsId: null,          // Jenkins AWS credentials allowed to write to the bucket; null: the agent's role
    ] + HelperTool.DEFAULTS              // helperCommand, helperPython, helperIndexUrl, helperIndexCredentialsId, helperToolRoot
    String problem = TagVenvOptions.problem(defaults, args, NamingRules.parse(libraryResource('venvbuild/naming.json')))
    if (problem) {
        error(problem)
    }
    HelperTool.requireUnix(this, 'tagVenv')
    Map options = BuildVenvOptions.withDefaults(defaults, args)
    String logDir = TagVenvOptions.logDir(options)
    HelperTool helperTool = new HelperTool(this, 'tagVenv', options)
    helperTool.checkCredentials()
    String scratchDir = HelperTool.scratchDir(this, logDir - '.venvbuild-logs/')
    try {
        String helper = helperTool.install(logDir, scratchDir)
        helperTool.runWithStore(TagVenvOptions.environment(options, helper), options.awsCredentialsId as String,
            'run-tag.sh', 'tag', "venvbuild tag: ${options.tag} -> ${options.version}".toString(), logDir)
    } finally {
        HelperTool.remove(this, scratchDir)
    }
    return [version: options.version, tag: options.tag, removed: options.remove]
}
