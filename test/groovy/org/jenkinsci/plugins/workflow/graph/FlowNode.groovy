package org.jenkinsci.plugins.workflow.graph

import org.jenkinsci.plugins.workflow.cps.steps.ParallelStepExecution

/**
 * Test stand-in for the Pipeline API's FlowNode (workflow-api), which is not on the test classpath:
 * the two members io.venvbuild.ParallelBranch reads. Inside `parallel`, one enclosing block carries a
 * ParallelLabelAction, as a real branch's block start node does.
 */
class FlowNode implements Serializable {

    final boolean inParallel

    FlowNode(boolean inParallel) {
        this.inParallel = inParallel
    }

    List<Map> iterateEnclosingBlocks() {
        List<Map> blocks = [[actions: []]]
        if (inParallel) {
            blocks << [actions: [new ParallelStepExecution.ParallelLabelAction('branch')]]
        }
        return blocks
    }
}
