package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/** Named-argument checks shared by the library's steps. */
class StepArguments {

    /** Null when every key of args is one of defaults', else a one-line error listing the accepted keys. */
    @NonCPS
    static String unknownKeys(String step, Map defaults, Map args) {
        List unknown = args.keySet().findAll { !defaults.containsKey(it) }.sort()
        if (!unknown) {
            return null
        }
        return "${step}: unknown option${unknown.size() > 1 ? 's' : ''} ${unknown.join(', ')}; " +
            "accepted: ${defaults.keySet().join(', ')}"
    }

    /** A folder name for one call of a step that may run more than once in a workspace: prefix-<random>. */
    @NonCPS
    static String callId(String prefix) {
        return "${prefix}-${UUID.randomUUID().toString().take(8)}".toString()
    }
}
