package org.jenkinsci.plugins.workflow.cps.steps

/** Test stand-in for workflow-cps' ParallelStepExecution, for its nested ParallelLabelAction. */
class ParallelStepExecution {

    static class ParallelLabelAction implements Serializable {
        final String branchName

        ParallelLabelAction(String branchName) {
            this.branchName = branchName
        }
    }
}
