// buildVenv: builds a Python venv with the venvbuild helper, stage by stage, archives its artifacts,
// publishes it to S3 when a bucket is given, and returns what was built. Help: vars/buildVenv.txt.
import io.venvbuild.BuildPaths
import io.venvbuild.BuildVenvOptions
import io.venvbuild.HelperExitCodes
import io.venvbuild.HelperOutput
import io.venvbuild.NamingRules
import io.venvbuild.StageEnvironment

Map call(Map args = [:]) {
    Map defaults = [
        envName          : null,               // required; the environment's name (naming.json env_name)
        pythonVersion    : null,               // '3.N'; null: the helper picks the agent's python3
        requirements     : 'requirements.txt', // requirements file, relative to the workspace
        requirePinned    : true,               // fail unless every requirement is pinned with ==
        failOnConflicts  : true,               // dependency conflicts fail the build; false: UNSTABLE
        installer        : null,               // 'pip' or 'uv'; null: the helper's default
        compression      : null,               // 'gz' or 'zst'; null: the helper's default
        bucket           : null,               // S3 bucket to publish to; null: no Publish stage
        prefix           : 'venv-builds',      // key prefix in the bucket
        region           : null,               // AWS region; null: the agent's AWS configuration
        endpointUrl      : null,               // S3-compatible endpoint URL (e.g. MinIO); null: AWS
        sse              : null,               // 'AES256' or 'aws:kms': server-side encryption of what Publish writes
        kmsKeyId         : null,               // KMS key for sse 'aws:kms'; null: the AWS-managed key
        checksumWhenRequired: false,           // true: checksums only when required, for S3-compatible stores that reject them
        awsCredentialsId : null,               // Jenkins AWS credentials for Publish; null: the agent's role
        helperRequirement: null,               // pip requirement for the helper; null: venvbuild==<library VERSION>
        helperCommand    : null,               // an installed venvbuild command to use instead of installing
        helperPython     : 'python3',          // interpreter that creates the helper's tool venv
        archiveVenv      : true,               // also archive the venv tarball in Jenkins, not only its metadata
        reuse            : false,              // true: return a published conflict-free build of the same inputs from the bucket instead of building
        onFailure        : null,               // closure called with [stage:, message:] on failure (stage null: bad arguments)
    ]
    Closure onFailure = args.onFailure instanceof Closure ? args.onFailure : null
    Map progress = [stage: null]
    Map options = null
    try {
        Map namingRules = NamingRules.parse(libraryResource('venvbuild/naming.json'))
        String problem = BuildVenvOptions.problem('buildVenv', defaults, args, namingRules)
        if (problem) {
            error(problem)
        }
        options = BuildVenvOptions.withDefaults(defaults, args)
        String libraryVersion = libraryResource('venvbuild/VERSION').trim()

        withEnv(StageEnvironment.of(options, libraryVersion)) {
            runStage(progress, 'Validate inputs') {
                dir(BuildPaths.WORK_DIR) { deleteDir() }
                runScript('install-helper.sh', 'install-helper')
                withAwsCredentials(options.reuse ? options.awsCredentialsId : null) { runScript('run-stage.sh', 'validate') }
            }
            if (fileExists(BuildPaths.REUSED)) {
                return  // validate found a build of the same inputs: leave this closure, build nothing
            }
            runStage(progress, 'Create venv and install') { runScript('run-stage.sh', 'install') }
            runStage(progress, 'Check dependencies') { runScript('run-stage.sh', 'inspect') }
            runStage(progress, 'Package') { runScript('run-stage.sh', 'package') }
            runStage(progress, 'Metadata') { runScript('run-stage.sh', 'metadata') }
            if (options.bucket) {
                runStage(progress, 'Publish') {
                    withAwsCredentials(options.awsCredentialsId) { runScript('run-stage.sh', 'publish') }
                }
            }
        }
        boolean reused = fileExists(BuildPaths.REUSED)  // by validate, or by publish when another build of the key won
        return reportResult(HelperOutput.result(readFile(reused ? BuildPaths.REUSED : BuildPaths.METADATA)) + [reused: reused])
    } catch (err) {
        notifyFailure(onFailure, progress.stage, err)
        throw err
    } finally {
        // Once Validate inputs has cleared the work dir, whatever is there is this build's.
        if (progress.stage) {
            archiveBuild(options.archiveVenv)
        }
    }
}

void runStage(Map progress, String name, Closure body) {
    stage(name) {
        progress.stage = name
        body()
    }
}

// Runs a library script; a non-zero exit fails the build with the helper's own error line.
void runScript(String script, String command) {
    int status = 0
    withEnv(StageEnvironment.forCommand(command)) {
        status = sh(script: libraryResource("venvbuild/${script}"), returnStatus: true)
    }
    if (status != 0) {
        String stderrFile = BuildPaths.stderrFile(command)
        String stderr = fileExists(stderrFile) ? readFile(stderrFile) : ''
        error("buildVenv: ${command} failed with exit code ${status} " +
            "(${HelperExitCodes.meaning(HelperExitCodes.parse(libraryResource('venvbuild/exit_codes.json')), status)}): " +
            "${HelperOutput.errorLine(stderr)}")
    }
}

void withAwsCredentials(String credentialsId, Closure body) {
    if (!credentialsId) {
        body()
        return
    }
    withCredentials([[$class           : 'AmazonWebServicesCredentialsBinding', credentialsId: credentialsId,
                      accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY']]) {
        body()
    }
}

Map reportResult(Map result) {
    String description = "${result.envName} ${result.venvVersion} (Python ${result.pythonVersion})"
    if (!result.conflictFree) {
        // Only reached without failOnConflicts: with it, inspect fails the build first.
        echo "buildVenv: ${result.envName} has dependency conflicts; see ${BuildPaths.ARTIFACTS}/pipdeptree.txt"
        currentBuild.result = 'UNSTABLE'
        description += ', has conflicts'
    }
    currentBuild.description = description
    return result
}

void archiveBuild(boolean archiveVenv) {
    archiveArtifacts(artifacts: BuildPaths.TO_ARCHIVE, excludes: archiveVenv ? '' : BuildPaths.VENV_TARBALLS,
        allowEmptyArchive: true)
}

// The hook must not hide the build's own failure, and needs no notification plugin.
void notifyFailure(Closure onFailure, String stage, Throwable err) {
    if (onFailure == null) {
        return
    }
    try {
        onFailure.call([stage: stage, message: err.message])
    } catch (hookError) {
        echo "buildVenv: onFailure hook failed: ${hookError.message}"
    }
}
