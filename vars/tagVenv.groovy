// tagVenv: points a tag (e.g. 'stable') at a build published to S3, or takes it away, as an append-only
// event in the bucket (`venvbuild tag`). Help: vars/tagVenv.txt.
import io.venvbuild.BuildVenvOptions
import io.venvbuild.HelperExitCodes
import io.venvbuild.HelperOutput
import io.venvbuild.NamingRules
import io.venvbuild.StageEnvironment
import io.venvbuild.BuildPaths
import io.venvbuild.TagVenvOptions

Map call(Map args = [:]) {
    Map defaults = [
        version          : null,          // required; the published build, venv_YYYYMMDD_HHMMSS
        tag              : null,          // required; the tag, e.g. 'stable' (naming.json tag)
        remove           : false,         // true: take the tag away from version (an event too)
        bucket           : null,          // required; the S3 bucket the build was published to
        prefix           : 'venv-builds', // key prefix in the bucket
        region           : null,          // AWS region; null: the agent's AWS configuration
        endpointUrl      : null,          // S3-compatible endpoint URL (e.g. MinIO); null: AWS
        awsCredentialsId : null,          // Jenkins AWS credentials; null: the agent's role
        helperRequirement: null,          // pip requirement for the helper; null: venvbuild==<library VERSION>
        helperCommand    : null,          // an installed venvbuild command to use instead of installing
        helperPython     : 'python3',     // interpreter that creates the helper's tool venv
    ]
    String problem = TagVenvOptions.problem(defaults, args, NamingRules.parse(libraryResource('venvbuild/naming.json')))
    if (problem) {
        error(problem)
    }
    Map options = BuildVenvOptions.withDefaults(defaults, args)
    String libraryVersion = libraryResource('venvbuild/VERSION').trim()
    withEnv(StageEnvironment.of(options, libraryVersion) + TagVenvOptions.environment(options)) {
        runTagScript('install-helper.sh', 'install-helper')
        if (options.awsCredentialsId) {
            withCredentials([[$class           : 'AmazonWebServicesCredentialsBinding', credentialsId: options.awsCredentialsId,
                              accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY']]) {
                runTagScript('run-tag.sh', 'tag')
            }
        } else {
            runTagScript('run-tag.sh', 'tag')
        }
    }
    return [version: options.version, tag: options.tag, removed: options.remove]
}

// Runs a library script; a non-zero exit fails the build with the helper's own error line.
void runTagScript(String script, String command) {
    int status = 0
    withEnv(StageEnvironment.forCommand(command)) {
        status = sh(label: "venvbuild ${command}", script: libraryResource("venvbuild/${script}"), returnStatus: true)
    }
    if (status != 0) {
        String stderrFile = BuildPaths.stderrFile(command)
        String stderr = fileExists(stderrFile) ? readFile(stderrFile) : ''
        error("tagVenv: ${command} failed with exit code ${status} " +
            "(${HelperExitCodes.meaning(HelperExitCodes.parse(libraryResource('venvbuild/exit_codes.json')), status)}): " +
            "${HelperOutput.errorLine(stderr)}")
    }
}
