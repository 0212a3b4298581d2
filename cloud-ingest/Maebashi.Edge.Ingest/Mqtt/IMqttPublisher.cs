namespace Maebashi.Edge.Ingest.Mqtt;

/// <summary>How the ingest publishes acks, configurations and the deny list, whichever broker it uses.</summary>
public interface IMqttPublisher
{
    Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken);
}
