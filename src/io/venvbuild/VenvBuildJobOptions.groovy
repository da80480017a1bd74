package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/** Checks venvBuildJob's named arguments (defaults in vars/venvBuildJob.groovy) before anything runs. */
class VenvBuildJobOptions {

    // buildVenv options the job's parameters set, so they cannot also come through the buildVenv option.
    static final List<String> FROM_PARAMETERS =
        ['envName', 'pythonVersion', 'pythonVersions', 'failOnConflicts', 'requirements', 'bucket', 'prefix']

    // Options that are a whole number of at least 1, or null for "none".
    static final List<String> COUNTS = ['keepBuilds', 'timeoutMinutes']

    /** Null when config is acceptable, else a one-line error naming the option. */
    @NonCPS
    static String problem(Map defaults, Map config, Map namingRules) {
        String unknown = StepArguments.unknownKeys('venvBuildJob', defaults, config)
        if (unknown) {
            return unknown
        }
        Map options = withDefaults(defaults, config)
        if (!(options.pythonVersions instanceof List) || !options.pythonVersions) {
            return 'venvBuildJob: pythonVersions must be a non-empty list such as [\'3.12\', \'3.11\']'
        }
        for (Object version : options.pythonVersions) {
            String bad = NamingRules.problem(namingRules, 'python_version', 'pythonVersions entry', version instanceof GString ? version.toString() : version)
            if (bad) {
                return "venvBuildJob: ${bad}"
            }
        }
        if (config.envName != null) {
            String bad = NamingRules.problem(namingRules, 'env_name', 'envName', config.envName instanceof GString ? config.envName.toString() : config.envName)
            if (bad) {
                return "venvBuildJob: ${bad}"
            }
        }
        for (String key : ['failOnConflicts', 'disableConcurrentBuilds', 'catalog']) {
            if (!(options[key] instanceof Boolean)) {
                return "venvBuildJob: ${key} must be true or false, not ${NamingRules.quote(options[key])}"
            }
        }
        for (String key : COUNTS) {
            if (options[key] != null && !(options[key] instanceof Integer && options[key] > 0)) {
                return "venvBuildJob: ${key} must be a whole number from 1 up, or null for none; not ${NamingRules.quote(options[key])}"
            }
        }
        if (!(options.buildVenv instanceof Map)) {
            return 'venvBuildJob: buildVenv must be a Map of buildVenv options'
        }
        String overlap = options.buildVenv.keySet().find { it in FROM_PARAMETERS }
        if (overlap) {
            return "venvBuildJob: buildVenv option ${overlap} comes from the job's parameters; " +
                'set the parameter\'s default instead'
        }
        return null
    }

    /** The options, with keepBuilds and timeoutMinutes kept when given as null (none). */
    @NonCPS
    static Map withDefaults(Map defaults, Map config) {
        return defaults + config
    }

    /**
     * buildVenv's options from the job's parameters; a parameter the run does not have (started by SCM, a
     * webhook, or the first run, before the job had its parameters) takes the option's default.
     */
    @NonCPS
    static Map parameterValues(Map params, Map options) {
        Closure value = { String name, Object fallback -> params?.containsKey(name) && params[name] != null ? params[name] : fallback }
        String bucket = value('BUCKET', options.bucket)
        return [
            envName        : value('ENV_NAME', null) ?: options.envName ?: null,
            pythonVersion  : value('PYTHON_VERSION', options.pythonVersions[0]),
            failOnConflicts: value('FAIL_ON_CONFLICTS', options.failOnConflicts),
            requirements   : value('REQUIREMENTS', options.requirements),
            bucket         : bucket ?: null,
            prefix         : value('PREFIX', options.prefix),
        ]
    }
}
