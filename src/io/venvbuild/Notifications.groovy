package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * The notify option: Slack through slackSend (Slack Notification plugin) and e-mail through mail
 * (Mailer plugin), on failure or abort, on UNSTABLE, and when a build succeeds after one that did not
 * (back to normal). A missing plugin or a failing send is one echoed line, never the build's error.
 */
class Notifications implements Serializable {

    static final Map<String, String> COLOURS = [FAILURE: 'danger', ABORTED: 'warning', UNSTABLE: 'warning', SUCCESS: 'good']

    /**
     * What a finished (not failed) build tells notify: [stage:, message:, result: 'UNSTABLE'] when it was marked
     * unstable (unstableMessage), [result: 'SUCCESS', message: 'back to normal ...'] when the previous build's
     * result was another, else null (nothing to say).
     */
    @NonCPS
    static Map outcome(String unstableMessage, String previousResult) {
        if (unstableMessage) {
            return [stage: 'Check dependencies', message: unstableMessage, result: 'UNSTABLE']
        }
        if (previousResult && previousResult != 'SUCCESS') {
            return [stage: null, message: "back to normal after ${previousResult}".toString(), result: 'SUCCESS', fixed: true]
        }
        return null
    }

    static void send(Object steps, Map notify, Map failure, String text) {
        if (notify?.slack) {
            attempt(steps, 'slackSend', "Slack ${notify.slack}") {
                steps.slackSend(channel: notify.slack, color: COLOURS[failure.result] ?: 'danger', message: text)
            }
        }
        if (notify?.email) {
            attempt(steps, 'mail', "e-mail to ${notify.email}") {
                steps.mail(to: notify.email, subject: text.readLines().first().take(200), body: text)
            }
        }
    }

    static void attempt(Object steps, String stepName, String what, Closure send) {
        try {
            send()
        } catch (Throwable error) {
            if (missingStep(error, stepName)) {
                steps.echo("buildVenv: skipped the ${what}: the ${stepName} step is not installed on this controller")
            } else {
                steps.echo("buildVenv: the ${what} failed: ${error.message}")
            }
        }
    }

    // Jenkins throws NoSuchMethodError "No such DSL method 'slackSend' found among steps"; Groovy a MissingMethodException.
    @NonCPS
    static boolean missingStep(Throwable error, String stepName) {
        if (error instanceof MissingMethodException) {
            return error.method == stepName
        }
        return error instanceof NoSuchMethodError && (error.message ?: '').contains("'${stepName}'")
    }
}
