// buildVenv: builds a Python venv with the venvbuild helper, stage by stage, archives its artifacts,
// publishes it to S3 when a bucket is given, and returns what was built. Help: vars/buildVenv.txt.
import io.venvbuild.AwsCredentials
import io.venvbuild.BuildPaths
import io.venvbuild.BuildVenvOptions
import io.venvbuild.Failure
import io.venvbuild.HelperExitCodes
import io.venvbuild.HelperOutput
import io.venvbuild.HelperTool
import io.venvbuild.LibraryScripts
import io.venvbuild.NamingRules
import io.venvbuild.Notifications
import io.venvbuild.ParallelBranch
import io.venvbuild.StageEnvironment

Map call(Map args = [:]) {
    Map defaults = [
        envName          : null,               // required; the environment's name (naming.json env_name)
        pythonVersion    : null,               // '3.N'; null: the helper picks the agent's python3
        pythonVersions   : null,               // ['3.10', '3.11']: one build per version in parallel branches; returns [version: result]
        requirements     : 'requirements.txt', // requirements file, relative to the workspace
        requirePinned    : true,               // fail unless every requirement is pinned with ==
        failOnConflicts  : true,               // dependency conflicts fail the build; false: Check dependencies is UNSTABLE
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
        indexCredentialsId: null,              // Jenkins username/password for the requirements' private index, bound only around Create venv and install
        archiveVenv      : null,               // archive the venv tarball in Jenkins too; null: only without a bucket
        cleanWorkDir     : null,               // remove the work folder and scratch after a successful build; null: only when it is in the bucket
        reuse            : false,              // true: return a published conflict-free build of the same inputs from the bucket instead of building
        stagePrefix      : null,               // text before each stage name; null: '<envName> <pythonVersion>' inside parallel, else none
        notify           : null,               // [slack: '#channel', email: 'team@example.com'] told on failure, UNSTABLE and back to normal
        onFailure        : null,               // closure called with [stage:, message:, result:] on failure (stage null: before any stage)
    ] + HelperTool.DEFAULTS                    // helperCommand, helperPython, helperIndexUrl, helperIndexCredentialsId, helperToolRoot
    Closure onFailure = args.onFailure instanceof Closure ? args.onFailure : null
    Map progress = [stage: null, branches: false, unstable: null]
    Map options = null
    Map paths = null
    Throwable failed = null
    try {
        Map namingRules = NamingRules.parse(libraryResource('venvbuild/naming.json'))
        String problem = BuildVenvOptions.problem('buildVenv', defaults, args, namingRules)
        if (problem) {
            error(problem)
        }
        options = BuildVenvOptions.withDefaults(defaults, args)
        if (options.pythonVersions) {
            // Each branch is a whole buildVenv call: it archives, calls onFailure and notifies for itself.
            progress.branches = true
            return buildEachVersion(args, options)
        }
        HelperTool.requireUnix(this, 'buildVenv')
        HelperTool helperTool = new HelperTool(this, 'buildVenv', options)
        helperTool.checkCredentials()
        checkIndexCredentials(options.indexCredentialsId as String)
        paths = BuildPaths.of(options.envName, options.pythonVersion, pwd(tmp: true))
        String prefix = stagePrefix(options)

        // The helper is the library's tool, not an input: installed (or helperCommand checked) before any
        // stage, so a helper of another version is one line with no stage started.
        dir(paths.logDir) { deleteDir() }
        String helper = helperTool.install(paths.logDir, paths.scratchDir)
        withEnv(StageEnvironment.of(options, paths, helper)) {
            runStage(progress, prefix, 'Validate inputs') {
                dir(paths.workDir) { deleteDir() }
                if (options.reuse && options.awsCredentialsId) {
                    helperTool.verify(paths.logDir)  // the helper's digest, checked before it sees credentials
                }
                AwsCredentials.bind(this, options.reuse ? options.awsCredentialsId as String : null) {
                    helperStage(paths, 'validate', 'venvbuild validate: inputs and pins')
                }
            }
            if (fileExists(paths.reused)) {
                return  // validate found a build of the same inputs: leave this closure, build nothing
            }
            runStage(progress, prefix, 'Create venv and install') {
                // The requirements' private index credentials: here only, never in another stage's environment.
                withIndexCredentials(options.indexCredentialsId as String) {
                    helperStage(paths, 'install', 'venvbuild install: create the venv, install the requirements')
                }
            }
            runStage(progress, prefix, 'Check dependencies') {
                progress.unstable = checkDependencies(paths, options.failOnConflicts)
            }
            runStage(progress, prefix, 'Package') { helperStage(paths, 'package', 'venvbuild package: archive the venv') }
            runStage(progress, prefix, 'Metadata') { helperStage(paths, 'metadata', 'venvbuild metadata: write metadata.json') }
            if (options.bucket) {
                runStage(progress, prefix, 'Publish') {
                    // The tool the build's own packages could have reached is checked before it sees credentials.
                    helperTool.verify(paths.logDir)
                    AwsCredentials.bind(this, options.awsCredentialsId as String) {
                        helperStage(paths, 'publish', "venvbuild publish: to s3://${options.bucket}/${options.prefix}")
                    }
                }
            }
        }
        boolean reused = fileExists(paths.reused)  // by validate, or by publish when another build of the key won
        Map result = reportResult(HelperOutput.result(readFile(reused ? paths.reused : paths.metadata)) + [reused: reused])
        if (options.notify) {
            Map outcome = Notifications.outcome(progress.unstable as String, currentBuild.previousBuild?.result as String)
            if (outcome) {
                Notifications.send(this, options.notify, outcome, Failure.describe(notifyLabel(options), outcome, env.BUILD_URL as String))
            }
        }
        return result
    } catch (err) {
        failed = err
        if (!progress.branches) {
            Map failure = Failure.of(progress.stage, err)
            callFailureHook(onFailure, failure)
            if (options?.notify) {
                Notifications.send(this, options.notify, failure, Failure.describe(notifyLabel(options), failure, env.BUILD_URL as String))
            }
        }
        throw err
    } finally {
        // Once Validate inputs has cleared the work dir, whatever is there is this call's.
        if (progress.stage) {
            archiveBuild(paths, options.archiveVenv, failed)
            if (failed == null && BuildVenvOptions.cleansWorkDir(options)) {
                dir(paths.workDir) { deleteDir() }
                dir(paths.scratchDir) { deleteDir() }
            }
        }
    }
}

String notifyLabel(Map options) {
    return "${options.envName}" + (options.pythonVersion ? " (Python ${options.pythonVersion})" : '')
}

/** Fails with one line, before any stage, when indexCredentialsId names no username/password credentials. */
void checkIndexCredentials(String credentialsId) {
    if (!credentialsId) {
        return
    }
    try {
        withIndexCredentials(credentialsId) {}
    } catch (missing) {
        error("buildVenv: indexCredentialsId '${credentialsId}' is not usable username/password credentials: ${missing.message}")
    }
}

// VENVBUILD_INDEX_USER and VENVBUILD_INDEX_PASSWORD, for ${VAR} references in the requirements (pip expands them).
void withIndexCredentials(String credentialsId, Closure body) {
    if (!credentialsId) {
        body()
        return
    }
    withCredentials([usernamePassword(credentialsId: credentialsId, usernameVariable: 'VENVBUILD_INDEX_USER',
                                      passwordVariable: 'VENVBUILD_INDEX_PASSWORD')]) {
        body()
    }
}

Map buildEachVersion(Map args, Map options) {
    Map results = [:]
    Map branches = [:]
    // An index loop: a list iterator held across steps does not serialize everywhere CPS runs.
    for (int i = 0; i < options.pythonVersions.size(); i++) {
        String pythonVersion = options.pythonVersions[i]
        Map branchArgs = BuildVenvOptions.branchArgs(args, options.envName as String, pythonVersion)
        branches["${options.envName} ${pythonVersion}".toString()] = {
            results[pythonVersion] = this.call(branchArgs)
        }
    }
    parallel(branches)
    return results
}

String stagePrefix(Map options) {
    if (options.stagePrefix != null) {
        return options.stagePrefix
    }
    return ParallelBranch.inside(this) ? "${options.envName} ${options.pythonVersion ?: BuildPaths.DEFAULT_PYTHON}".toString() : ''
}

void runStage(Map progress, String prefix, String name, Closure body) {
    stage(prefix ? "${prefix}: ${name}".toString() : name) {
        progress.stage = name
        body()
    }
}

// Runs one helper command with run-stage.sh; a non-zero exit fails the build with the helper's own error line.
void helperStage(Map paths, String command, String label) {
    String stderrFile = BuildPaths.stderrFile(paths, command)
    int status = LibraryScripts.run(this, 'run-stage.sh', command, label, stderrFile)
    if (status != 0) {
        error(LibraryScripts.failure(this, 'buildVenv', command, status, stderrFile))
    }
}

// inspect always reports conflicts with exit 4 (after saving its reports): fail, or mark this stage UNSTABLE
// and return the line it was marked with.
String checkDependencies(Map paths, boolean failOnConflicts) {
    String stderrFile = BuildPaths.stderrFile(paths, 'inspect')
    int status = LibraryScripts.run(this, 'run-stage.sh', 'inspect', 'venvbuild inspect: dependency tree and conflicts', stderrFile)
    if (status == HelperExitCodes.CONFLICTS && !failOnConflicts) {
        String line = HelperOutput.errorLine(readFile(stderrFile)) - HelperOutput.ERROR_PREFIX
        String message = "buildVenv: ${line}; see ${paths.artifacts}/pipdeptree.txt"
        unstable(message)
        return message
    } else if (status != 0) {
        error(LibraryScripts.failure(this, 'buildVenv', 'inspect', status, stderrFile))
    }
    return null
}

Map reportResult(Map result) {
    String description = "${result.envName} ${result.venvVersion} (Python ${result.pythonVersion})"
    if (!result.conflictFree) {
        // Check dependencies has marked itself UNSTABLE already (without failOnConflicts; with it, it failed).
        description += ', has conflicts'
    }
    // Calls in parallel each add their line.
    currentBuild.description = currentBuild.description ? "${currentBuild.description}\n${description}".toString() : description
    return result
}

// The build's own error wins: an archiving error after it is only echoed.
void archiveBuild(Map paths, boolean archiveVenv, Throwable failed) {
    try {
        archiveArtifacts(artifacts: paths.toArchive, excludes: archiveVenv ? '' : paths.venvTarballs, allowEmptyArchive: true)
    } catch (archiveError) {
        if (failed == null) {
            throw archiveError
        }
        echo "buildVenv: archiving the artifacts failed too, after the build's own error: ${archiveError.message ?: archiveError}"
    }
}

// The hook must not hide the build's own failure, and needs no notification plugin.
void callFailureHook(Closure onFailure, Map failure) {
    if (onFailure == null) {
        return
    }
    try {
        onFailure.call(failure)
    } catch (hookError) {
        echo "buildVenv: onFailure hook failed: ${hookError.message}"
    }
}
