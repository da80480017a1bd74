// withVenv: runs its body inside a published venv build, pulled onto the agent by the venvbuild helper:
// checked against its metadata, relocated, and cached by sha256 so later uses on the agent skip the
// download. Help: vars/withVenv.txt.
import io.venvbuild.BuildVenvOptions
import io.venvbuild.HelperTool
import io.venvbuild.LibraryScripts
import io.venvbuild.NamingRules
import io.venvbuild.WithVenvOptions

Object call(Map args = [:], Closure body) {
    Map defaults = [
        envName         : null,          // the env whose build to use; required with version 'latest' or a tag
        version         : 'latest',      // 'latest' (the env's newest build) or venv_YYYYMMDD_HHMMSS
        tag             : null,          // a tag set with tagVenv (e.g. 'stable') instead of a version
        bucket          : null,          // S3 bucket the build was published to (or store)
        prefix          : 'venv-builds', // key prefix in the bucket
        store           : null,          // a store folder on the agent instead of a bucket
        region          : null,          // AWS region of the bucket; null: the agent's AWS configuration
        endpointUrl     : null,          // S3-compatible endpoint URL; null: AWS
        awsCredentialsId: null,          // Jenkins AWS credentials to read the bucket; null: the agent's role
        cacheDir        : null,          // where pulled builds are kept on the agent; null: ~/.cache/venvbuild/envs
        pythonVersion   : null,          // the build's Python ('3.11'): with 'latest', needed when the env has builds for several
        writable        : false,         // true: the body gets its own writable copy (pip install -e .) in the build's tmp folder
        pruneCache      : null,          // [maxBytes: N, keepDays: D]: prune the agent's cache after the body
    ] + HelperTool.DEFAULTS              // helperCommand, helperPython, helperIndexUrl, helperIndexCredentialsId, helperToolRoot
    Map given = WithVenvOptions.fromBuild(args)
    String problem = WithVenvOptions.problem('withVenv', defaults, given, NamingRules.parse(libraryResource('venvbuild/naming.json')))
    if (problem) {
        error(problem)
    }
    HelperTool.requireUnix(this, 'withVenv')
    Map options = BuildVenvOptions.withDefaults(defaults, given)
    String callId = WithVenvOptions.callId(options)
    String logDir = WithVenvOptions.logDir(callId)
    String privateDest = options.writable ? "${pwd(tmp: true)}/venvbuild/${callId}" : null
    HelperTool helperTool = new HelperTool(this, 'withVenv', options)
    helperTool.checkCredentials()
    String scratchDir = HelperTool.scratchDir(this, logDir - '.venvbuild-logs/')
    try {
        String helper = helperTool.install(logDir, scratchDir)
        helperTool.runWithStore(WithVenvOptions.environment(options, helper, logDir, privateDest), options.awsCredentialsId as String,
            'pull-venv.sh', 'pull', 'venvbuild pull: the venv for withVenv', logDir)
        try {  // from here on the pull may hold the entry's lease: after-venv.sh lets go of it, whatever happens
            Map pulled = WithVenvOptions.pulled(readFile("${logDir}/pull.json"))
            String where = privateDest ? 'pulled (a writable copy for this body)' : pulled.reused ? 'already' : 'pulled'
            echo "withVenv: ${pulled.envName} ${pulled.venvVersion} ${where} at ${pulled.dest}"
            return withEnv(["VIRTUAL_ENV=${pulled.dest}", "PATH+VENVBUILD=${pulled.dest}/bin", 'PYTHONHOME=',
                            "VENVBUILD_VENV_VERSION=${pulled.venvVersion}"]) {
                body()
            }
        } finally {
            // No credentials are bound here: the lease is let go and the cache pruned with this call's helper.
            withEnv(WithVenvOptions.afterEnvironment(options, helper, logDir, privateDest)) {
                LibraryScripts.run(this, 'after-venv.sh', 'after',
                    options.pruneCache ? 'venvbuild: release the venv, prune the cache' : 'venvbuild: release the venv',
                    "${logDir}/after.stderr")
            }
        }
    } finally {
        HelperTool.remove(this, scratchDir)  // the helper was this call's: no later build runs it
    }
}
