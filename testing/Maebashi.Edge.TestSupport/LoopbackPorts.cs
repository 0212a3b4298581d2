using System.Net;
using System.Net.Sockets;

namespace Maebashi.Edge.TestSupport;

/// <summary>Free loopback ports for processes started here (Mosquitto, and the ingests and terminals of tests and benchmarks).</summary>
/// <remarks>
/// Binding port 0 hands out a port from the kernel's ephemeral range (32768–60999 on Linux), the range every
/// outgoing connection takes its source port from: a port chosen that way and passed to another process can
/// be taken by any connection before that process binds it ("address already in use" — seen in CI when the
/// ingest's own MQTT connection got the port chosen for its HTTP listener). So the port is chosen below that
/// range, at random, and checked to bind.
/// </remarks>
public static class LoopbackPorts
{
    private const int From = 20_000;
    private const int Below = 32_768;

    public static int Free()
    {
        for (int attempt = 0; attempt < 500; attempt++)
        {
            int port = Random.Shared.Next(From, Below);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try another.
            }
        }

        throw new InvalidOperationException($"no free loopback port between {From} and {Below - 1}");
    }
}
