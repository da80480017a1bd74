// withVenv: runs its body inside a published venv build, pulled onto the agent by the venvbuild helper:
// checked against its metadata, relocated, and cached by sha256 so later uses on the agent skip the
// download. Help: vars/withVenv.txt.
import io.venvbuild.BuildVenvOptions
import io.venvbuild.HelperTool
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
    ] + HelperTool.DEFAULTS              // helperCommand, helperPython, helperIndexUrl, helperIndexCredentialsId, helperToolRoot
    Map given = WithVenvOptions.fromBuild(args)
    String problem = WithVenvOptions.problem('withVenv', defaults, given, NamingRules.parse(libraryResource('venvbuild/naming.json')))
    if (problem) {
        error(problem)
    }
    HelperTool.requireUnix(this, 'withVenv')
    Map options = BuildVenvOptions.withDefaults(defaults, given)
    String logDir = WithVenvOptions.logDir(options)
    HelperTool helperTool = new HelperTool(this, 'withVenv', options)
    helperTool.checkCredentials()
    String scratchDir = HelperTool.scratchDir(this, logDir - '.venvbuild-logs/')
    try {
        String helper = helperTool.install(logDir, scratchDir)
        helperTool.runWithStore(WithVenvOptions.environment(options, helper, logDir), options.awsCredentialsId as String,
            'pull-venv.sh', 'pull', 'venvbuild pull: the venv for withVenv', logDir)
    } finally {
        HelperTool.remove(this, scratchDir)  // the helper was this call's: the body never sees it
    }
    Map pulled = WithVenvOptions.pulled(readFile("${logDir}/pull.json"))
    echo "withVenv: ${pulled.envName} ${pulled.venvVersion} ${pulled.reused ? 'already' : 'pulled'} at ${pulled.dest}"
    return withEnv(["VIRTUAL_ENV=${pulled.dest}", "PATH+VENVBUILD=${pulled.dest}/bin", 'PYTHONHOME=',
                    "VENVBUILD_VENV_VERSION=${pulled.venvVersion}"]) {
        body()
    }
}
