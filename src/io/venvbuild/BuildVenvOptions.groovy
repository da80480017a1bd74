package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * Checks buildVenv's named arguments against its defaults (vars/buildVenv.groovy) before any shell runs:
 * unknown keys, required keys, types, and the shared naming rules (choices included).
 */
class BuildVenvOptions {

    static final List<String> CLOSURES = ['onFailure']

    // Options whose default is null but that take true or false.
    static final List<String> BOOLEANS = ['archiveVenv', 'cleanWorkDir']

    // Options that may be an empty string (stagePrefix '': no prefix, even inside parallel).
    static final List<String> MAY_BE_EMPTY = ['stagePrefix']

    // Option -> its rule in resources/venvbuild/naming.json.
    static final Map<String, String> NAMING = [
        envName      : 'env_name',
        pythonVersion: 'python_version',
        requirements : 'requirements_path',
        bucket       : 'bucket',
        prefix       : 'prefix',
        installer    : 'installer',
        compression  : 'compression',
        region       : 'region',
        endpointUrl  : 'endpoint_url',
        sse          : 'sse',
    ]

    // notify channel -> its rule in naming.json.
    static final Map<String, String> NOTIFY = [slack: 'slack_channel', email: 'email']

    /** Null when args are acceptable, else a one-line error naming the parameter. */
    @NonCPS
    static String problem(String step, Map defaults, Map args, Map namingRules) {
        String unknown = StepArguments.unknownKeys(step, defaults, args)
        if (unknown) {
            return unknown
        }
        Map options = withDefaults(defaults, args)
        if (options.envName == null) {
            return "${step}: envName is required"
        }
        if (options.pythonVersion != null && options.pythonVersions != null) {
            return "${step}: give pythonVersion (one build) or pythonVersions (one parallel branch each), not both"
        }
        for (String key : options.keySet()) {
            String message = valueProblem(key, options[key], defaults[key], namingRules)
            if (message) {
                return "${step}: ${message}"
            }
        }
        if (options.reuse == true && !options.bucket) {
            return "${step}: reuse needs a bucket: builds are looked up where they are published"
        }
        if (options.kmsKeyId != null && options.sse != 'aws:kms') {
            return "${step}: kmsKeyId needs sse 'aws:kms'" + (options.sse == null ? '' : ", not ${NamingRules.quote(options.sse)}")
        }
        return HelperTool.problem(step, options, namingRules)
    }

    /** The options to run with: defaults overridden by the args that are not null, GStrings as Strings. */
    @NonCPS
    static Map withDefaults(Map defaults, Map args) {
        Map options = (defaults + args.findAll { key, value -> value != null }).collectEntries { key, value ->
            [(key): value instanceof GString ? value.toString() : value]
        }
        if (options.archiveVenv == null) {
            // With a bucket the tarball is in S3 already; a copy in JENKINS_HOME would double its storage.
            options.archiveVenv = !options.bucket
        }
        return options
    }

    /** Whether a successful build removes its work folder and scratch: cleanWorkDir, by default when the build is in the bucket. */
    @NonCPS
    static boolean cleansWorkDir(Map options) {
        return options.cleanWorkDir == null ? options.bucket as boolean : options.cleanWorkDir == true
    }

    /** One pythonVersions branch's arguments: args for one version, its stages named after it unless asked otherwise. */
    @NonCPS
    static Map branchArgs(Map args, String envName, String pythonVersion) {
        Map branch = args.findAll { key, value -> key != 'pythonVersions' } + [pythonVersion: pythonVersion]
        if (args.stagePrefix == null) {
            branch.stagePrefix = "${envName} ${pythonVersion}".toString()
        }
        return branch
    }

    @NonCPS
    private static String valueProblem(String key, Object value, Object defaultValue, Map namingRules) {
        if (value == null) {
            return null
        }
        if (defaultValue instanceof Boolean || key in BOOLEANS) {
            return value instanceof Boolean ? null : "${key} must be true or false, not ${NamingRules.quote(value)}"
        }
        if (key in CLOSURES) {
            return value instanceof Closure ? null : "${key} must be a closure, not ${value.getClass().simpleName}"
        }
        if (key == 'pythonVersions') {
            return pythonVersionsProblem(value, namingRules)
        }
        if (key == 'notify') {
            return notifyProblem(value, namingRules)
        }
        if (!(value instanceof CharSequence)) {
            return "${key} must be a string, not ${value.getClass().simpleName}"
        }
        String text = value.toString()
        if (NAMING.containsKey(key)) {
            return NamingRules.problem(namingRules, NAMING[key], key, text)
        }
        if ((!text.trim() && !(key in MAY_BE_EMPTY)) || text =~ /[\x00-\x1f]/) {
            return "${key} ${NamingRules.quote(text)} must be a non-empty single line"
        }
        return null
    }

    @NonCPS
    private static String pythonVersionsProblem(Object value, Map namingRules) {
        if (!(value instanceof List) || !value) {
            return "pythonVersions must be a non-empty list such as ['3.11', '3.12'], not ${NamingRules.quote(value)}"
        }
        List seen = []
        for (Object version : value) {
            String text = version instanceof CharSequence ? version.toString() : null
            String bad = NamingRules.problem(namingRules, 'python_version', 'pythonVersions entry', text ?: version)
            if (bad) {
                return bad
            }
            if (text in seen) {
                return "pythonVersions lists '${text}' twice"
            }
            seen << text
        }
        return null
    }

    @NonCPS
    private static String notifyProblem(Object value, Map namingRules) {
        if (!(value instanceof Map) || !value) {
            return "notify must be a map such as [slack: '#builds', email: 'team@example.com'], not ${NamingRules.quote(value)}"
        }
        List unknown = value.keySet().findAll { !NOTIFY.containsKey(it) }.sort()
        if (unknown) {
            return "notify: unknown channel${unknown.size() > 1 ? 's' : ''} ${unknown.join(', ')}; accepted: ${NOTIFY.keySet().join(', ')}"
        }
        for (Map.Entry entry : value.entrySet()) {
            Object target = entry.value instanceof GString ? entry.value.toString() : entry.value
            String bad = NamingRules.problem(namingRules, NOTIFY[entry.key], "notify.${entry.key}".toString(), target)
            if (bad) {
                return bad
            }
        }
        return null
    }
}
