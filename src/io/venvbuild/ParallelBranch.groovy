package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/** Whether a step runs inside a `parallel` branch, from the flow node Jenkins' getContext gives. */
class ParallelBranch {

    static final String FLOW_NODE = 'org.jenkinsci.plugins.workflow.graph.FlowNode'

    /** True inside a parallel branch; false too where the Pipeline API is not there to ask. */
    static boolean inside(Object steps) {
        Class flowNode = flowNodeClass(steps)
        return flowNode != null && encloses(steps.getContext(flowNode))
    }

    @NonCPS
    private static Class flowNodeClass(Object steps) {
        try {
            return Class.forName(FLOW_NODE, false, steps.getClass().classLoader)
        } catch (ClassNotFoundException ignored) {
            return null
        }
    }

    /** True when one of the node's enclosing blocks is a parallel branch (it carries ParallelLabelAction). */
    @NonCPS
    static boolean encloses(Object flowNode) {
        if (flowNode == null) {
            return false
        }
        return flowNode.iterateEnclosingBlocks().any { block ->
            block.actions.any { it.getClass().name.endsWith('ParallelLabelAction') }
        }
    }
}
