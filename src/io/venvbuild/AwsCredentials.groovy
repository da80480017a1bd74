package io.venvbuild

/** Jenkins AWS credentials (CloudBees AWS Credentials plugin) bound around a body, for the steps that reach S3. */
class AwsCredentials implements Serializable {

    /** Runs body with credentialsId bound as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; without one, as it is. */
    static Object bind(Object steps, String credentialsId, Closure body) {
        if (!credentialsId) {
            return body()
        }
        return steps.withCredentials([[$class           : 'AmazonWebServicesCredentialsBinding', credentialsId: credentialsId,
                                       accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY']], body)
    }
}
