package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/** What onFailure and the notifications are told about a failed build, from the error that ended it. */
class Failure {

    // Jenkins' abort (and agent removal, timeout); named, as the class is in a plugin, not on our classpath.
    static final String INTERRUPTED = 'org.jenkinsci.plugins.workflow.steps.FlowInterruptedException'

    /** [stage:, message:, result: 'FAILURE'|'ABORTED'], the message never null. */
    @NonCPS
    static Map of(String stage, Throwable error) {
        if (error.getClass().name == INTERRUPTED) {
            String result = String.valueOf(error.result) == 'FAILURE' ? 'FAILURE' : 'ABORTED'
            List<String> causes = (error.causes ?: []).collect { it.shortDescription as String }.findAll { it }
            return [stage: stage, message: causes ? causes.join('; ') : (error.message ?: 'aborted'), result: result]
        }
        return [stage: stage, message: error.message ?: error.toString(), result: 'FAILURE']
    }

    /** One line for a notification: what failed (or is UNSTABLE, or back to normal), where, and the build's URL when known. */
    @NonCPS
    static String describe(String label, Map failure, String buildUrl, String step = 'buildVenv') {
        String url = buildUrl ? " (${buildUrl})" : ''
        if (failure.fixed) {
            return "${step} ${label}: ${failure.message}${url}"
        }
        String where = failure.stage ? "in ${failure.stage}" : (step == 'buildVenv' ? 'before any stage' : 'outside buildVenv')
        return "${step} ${label}: ${failure.result} ${where}: ${failure.message}${url}"
    }
}
