// withVenv: runs its body inside a published venv build, pulled onto the agent by the venvbuild helper:
// checked against its metadata, relocated, and cached by sha256 so later uses on the agent skip the
// download. Help: vars/withVenv.txt.
import io.venvbuild.AwsCredentials
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
    ] + HelperTool.DEFAULTS              // helperCommand, helperPython, helperIndexUrl, helperIndexCredentialsId, helperToolRoot
    Map given = WithVenvOptions.fromBuild(args)
    String problem = WithVenvOptions.problem('withVenv', defaults, given, NamingRules.parse(libraryResource('venvbuild/naming.json')))
    if (problem) {
        error(problem)
    }
    if (!isUnix()) {
        error('withVenv: this agent runs Windows; the venvbuild helper needs a Linux or macOS agent with python3')
    }
    Map options = WithVenvOptions.withDefaults(defaults, given)
    String logDir = WithVenvOptions.logDir(options)
    HelperTool helperTool = new HelperTool(this, 'withVenv', options)
    helperTool.checkCredentials()
    String helper = helperTool.install(logDir)
    String stderrFile = "${logDir}/pull.stderr"
    int status = 0
    withEnv(WithVenvOptions.environment(options, helper, logDir)) {
        if (options.awsCredentialsId) {
            helperTool.verify(logDir)
        }
        AwsCredentials.bind(this, options.awsCredentialsId as String) {
            status = LibraryScripts.run(this, 'pull-venv.sh', 'pull', 'venvbuild pull: the venv for withVenv', stderrFile)
        }
    }
    if (status != 0) {
        error(LibraryScripts.failure(this, 'withVenv', 'pull', status, stderrFile))
    }
    Map pulled = WithVenvOptions.pulled(readFile("${logDir}/pull.json"))
    echo "withVenv: ${pulled.envName} ${pulled.venvVersion} ${pulled.reused ? 'already' : 'pulled'} at ${pulled.dest}"
    return withEnv(["VIRTUAL_ENV=${pulled.dest}", "PATH+VENVBUILD=${pulled.dest}/bin", 'PYTHONHOME=',
                    "VENVBUILD_VENV_VERSION=${pulled.venvVersion}"]) {
        body()
    }
}
