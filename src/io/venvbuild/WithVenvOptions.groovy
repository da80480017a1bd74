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
        pythonVersion: 'python_version',
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
        if (!(options.writable instanceof Boolean)) {
            return "${step}: writable must be true or false, not ${NamingRules.quote(options.writable as String)}"
        }
        String prune = pruneProblem(options.pruneCache)
        if (prune) {
            return "${step}: ${prune}"
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

    static final List<String> PRUNE_KEYS = ['maxBytes', 'keepDays']

    @NonCPS
    private static String pruneProblem(Object prune) {
        if (prune == null) {
            return null
        }
        if (!(prune instanceof Map) || !prune || !PRUNE_KEYS.containsAll((prune as Map).keySet())) {
            return "pruneCache must be a map of ${PRUNE_KEYS.join(' and/or ')}, e.g. [maxBytes: 20000000000, keepDays: 14]"
        }
        for (Object value : (prune as Map).values()) {
            if (!(value instanceof Number) || (value as Number) < 0 || value instanceof Double && (value as Double).naN) {
                return "pruneCache values must be numbers of at least 0, not ${NamingRules.quote(value as String)}"
            }
        }
        return null
    }

    /**
     * This call's own name: parallel branches and matrix cells using the same env each get their own log
     * folder, pull answer, lease and private copy.
     */
    @NonCPS
    static String callId(Map options) {
        return "${options.envName ?: options.version}-${UUID.randomUUID().toString().take(13)}"
    }

    /** Where this call keeps its logs, the pull's answer and its lease file, relative to the workspace. */
    @NonCPS
    static String logDir(String callId) {
        return ".venvbuild-logs/withVenv/${callId}"
    }

    /**
     * withEnv entries for pull-venv.sh; an option not given is an empty entry, which withEnv unsets.
     * privateDest: with writable, the folder the body's own copy goes to; else the shared cache, leased
     * (never pruned) until the lease file is removed after the body.
     */
    @NonCPS
    static List<String> environment(Map options, String helper, String logDir, String privateDest = null) {
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
            VB_PYTHON_VERSION: options.pythonVersion,
            VB_DEST          : privateDest,
            VB_LEASE_FILE    : privateDest == null ? "${logDir}/lease" : null,
            VB_RESULT_FILE   : "${logDir}/pull.json",
        ]
        return values.collect { name, value -> "${name}=${value == null ? '' : value}".toString() }
    }

    /** withEnv entries for after-venv.sh: the lease to let go of, the private copy to remove, the prune. */
    @NonCPS
    static List<String> afterEnvironment(Map options, String helper, String logDir, String privateDest) {
        Map prune = options.pruneCache as Map
        Map values = [
            VB_HELPER          : helper,
            VB_LEASE_FILE      : privateDest == null ? "${logDir}/lease" : null,
            VB_PRIVATE_DEST    : privateDest,
            VB_CACHE_DIR       : options.cacheDir,
            VB_PRUNE           : prune ? 'true' : null,
            VB_PRUNE_MAX_BYTES : prune?.maxBytes,
            VB_PRUNE_KEEP_DAYS : prune?.keepDays,
            // Helper tools are pruned by age, in the folder this library installs them to.
            VB_PRUNE_HELPERS   : prune?.keepDays != null && options.helperCommand == null ? 'true' : null,
            VB_TOOL_ROOT       : options.helperToolRoot,
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
