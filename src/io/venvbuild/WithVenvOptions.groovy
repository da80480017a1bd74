package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonSlurperClassic

/**
 * withVenv's options (vars/withVenv.groovy): checked before any shell runs, a buildVenv result turned into
 * the options that find its build again, and the environment resources/venvbuild/pull-venv.sh reads.
 */
class WithVenvOptions {

    // What buildVenv returns; withVenv(built) takes it as it is.
    static final List<String> RESULT_KEYS = ['envName', 'pythonVersion', 'venvVersion', 'archiveUrl', 'sha256',
                                             'conflictFree', 'reused']

    static final Map<String, String> NAMING = [
        envName    : 'env_name',
        tag        : 'tag',
        bucket     : 'bucket',
        prefix     : 'prefix',
        region     : 'region',
        endpointUrl: 'endpoint_url',
        store      : 'dest',
        cacheDir   : 'dest',
    ]

    /**
     * args with a buildVenv result's keys replaced by what finds that build: version, envName, and bucket
     * and prefix (or store) from its archive URL. Options given beside them win.
     */
    @NonCPS
    static Map fromBuild(Map args) {
        if (!args.containsKey('venvVersion')) {
            return args
        }
        Map options = [version: args.venvVersion, envName: args.envName]
        String url = args.archiveUrl as String
        def s3 = url =~ /^s3:\/\/([^\/]+)\/(.+)\/(venv_\d{8}_\d{6})\/venv_\d{8}_\d{6}\.tar\.(gz|zst)$/
        def local = url =~ /^file:\/\/(\/.*)\/venv-builds\/(venv_\d{8}_\d{6})\/venv_\d{8}_\d{6}\.tar\.(gz|zst)$/
        if (s3.matches()) {
            options += [bucket: s3.group(1), prefix: s3.group(2)]
        } else if (local.matches()) {
            options += [store: URLDecoder.decode(local.group(1), 'UTF-8')]
        } else {
            options += [unpublished: url]
        }
        return options + args.findAll { key, value -> !(key in RESULT_KEYS) }
    }

    /** Null when options (after fromBuild) are acceptable, else a one-line error naming the parameter. */
    @NonCPS
    static String problem(String step, Map defaults, Map args, Map namingRules) {
        if (args.unpublished) {
            return "${step}: that build was not published to a store (${args.unpublished}); give buildVenv a " +
                'bucket, or give withVenv the bucket or store to pull from'
        }
        String unknown = StepArguments.unknownKeys(step, defaults, args)
        if (unknown) {
            return unknown
        }
        Map options = BuildVenvOptions.withDefaults(defaults, args)
        if (!options.bucket == !options.store) {
            return "${step}: give bucket (S3) or store (a folder on the agent), one of them"
        }
        if (options.tag != null && args.version != null) {
            return "${step}: give version or tag, not both"
        }
        if (options.tag == null && options.version != 'latest' &&
                NamingRules.problem(namingRules, 'venv_version', 'version', options.version) != null) {
            return "${step}: version ${NamingRules.quote(options.version)} is not valid: 'latest' or venv_YYYYMMDD_HHMMSS"
        }
        if ((options.tag != null || options.version == 'latest') && options.envName == null) {
            return "${step}: envName is required with ${options.tag != null ? 'a tag' : "version 'latest'"}"
        }
        if (options.store != null && options.awsCredentialsId != null) {
            return "${step}: awsCredentialsId is for a bucket, not for a store folder"
        }
        for (String key : NAMING.keySet()) {
            if (options[key] != null) {
                String message = options[key] instanceof CharSequence ?
                    NamingRules.problem(namingRules, NAMING[key], key, options[key].toString()) :
                    "${key} must be a string, not ${options[key].getClass().simpleName}"
                if (message) {
                    return "${step}: ${message}"
                }
            }
        }
        return HelperTool.problem(step, options, namingRules)
    }

    /** Where this call keeps its logs and the pull's answer, relative to the workspace. */
    @NonCPS
    static String logDir(Map options) {
        return ".venvbuild-logs/withVenv/${options.envName ?: options.version}"
    }

    /** withEnv entries for pull-venv.sh; an option not given is an empty entry, which withEnv unsets. */
    @NonCPS
    static List<String> environment(Map options, String helper, String logDir) {
        boolean latest = options.tag == null && options.version == 'latest'
        Map values = [
            VB_HELPER        : helper,
            VB_STORE         : options.bucket ? "s3://${options.bucket}/${options.prefix}" : options.store,
            VB_PULL_VERSION  : options.tag == null && !latest ? options.version : null,
            VB_PULL_LATEST   : latest ? 'true' : null,
            VB_PULL_TAG      : options.tag,
            VB_ENV_NAME      : options.envName,
            VB_REGION        : options.region,
            VB_ENDPOINT_URL  : options.endpointUrl,
            VB_CACHE_DIR     : options.cacheDir,
            VB_RESULT_FILE   : "${logDir}/pull.json",
        ]
        return values.collect { name, value -> "${name}=${value == null ? '' : value}".toString() }
    }

    /** pull.json (`venvbuild pull --json`) -> [envName:, venvVersion:, dest:, sha256:, reused:]. */
    @NonCPS
    static Map pulled(String json) {
        Map receipt = new JsonSlurperClassic().parseText(json) as Map
        return [envName: receipt.env_name, venvVersion: receipt.venv_version, dest: receipt.dest,
                sha256 : receipt.archive_sha256, reused: receipt.reused == true]
    }
}
