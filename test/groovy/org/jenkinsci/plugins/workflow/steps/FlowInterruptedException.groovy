package org.jenkinsci.plugins.workflow.steps

/**
 * Test stand-in for workflow-step-api's FlowInterruptedException, what Jenkins throws into a running step
 * when the build is aborted, times out or loses its agent: a result and the causes of the interruption.
 */
class FlowInterruptedException extends InterruptedException {

    final String result
    final List causes

    FlowInterruptedException(String result, List causes) {
        this.result = result
        this.causes = causes
    }

    /** A CauseOfInterruption stand-in: what Jenkins shows for it. */
    static class Cause implements Serializable {
        final String shortDescription

        Cause(String shortDescription) {
            this.shortDescription = shortDescription
        }
    }
}
