using System.Security.Cryptography;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// What a quarantine record keeps of a payload: its SHA-256 and size as it arrived (so an operator can match it with a
/// device's own log), and its bytes with card proofs redacted (<see cref="JpkiRedaction"/>), cut at the limit.
/// </summary>
internal sealed record QuarantinedPayload(string Sha256, long Size, byte[] Kept)
{
    /// <param name="limit">The most bytes kept (<see cref="QuarantineLimits.PayloadBytes"/>).</param>
    public static QuarantinedPayload Of(ReadOnlySpan<byte> payload, int limit)
    {
        // Redacted whole, then cut: a cut could otherwise leave part of a proof outside the JSON the redaction reads.
        byte[] kept = JpkiRedaction.Redact(payload);
        return new QuarantinedPayload(Convert.ToHexStringLower(SHA256.HashData(payload)), payload.Length, kept.Length > limit ? kept[..limit] : kept);
    }

    public QuarantineEntry Entry(QuarantineKind kind, string device, string topic, string code, string reason, ulong? seq, DateTimeOffset at) =>
        new(kind, Clip(device), topic, Clip(code), reason, seq, at, Sha256, Size, Kept);

    private static string Clip(string name) => name.Length > QuarantineLimits.MaxNameLength ? name[..QuarantineLimits.MaxNameLength] : name;
}
