package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/** Checks venvBuildJob's named arguments (defaults in vars/venvBuildJob.groovy) before anything runs. */
class VenvBuildJobOptions {

    // buildVenv options the job's parameters set, so they cannot also come through the buildVenv option.
    static final List<String> FROM_PARAMETERS =
        ['envName', 'pythonVersion', 'failOnConflicts', 'requirements', 'bucket', 'prefix']

    /** Null when config is acceptable, else a one-line error naming the option. */
    @NonCPS
    static String problem(Map defaults, Map config) {
        String unknown = StepArguments.unknownKeys('venvBuildJob', defaults, config)
        if (unknown) {
            return unknown
        }
        Map options = defaults + config
        if (!(options.pythonVersions instanceof List) || !options.pythonVersions) {
            return 'venvBuildJob: pythonVersions must be a non-empty list such as [\'3.12\', \'3.11\']'
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
}
