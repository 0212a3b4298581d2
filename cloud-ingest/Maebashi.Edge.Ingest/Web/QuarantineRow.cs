namespace Maebashi.Edge.Ingest.Web;

/// <summary>A quarantined record as the quarantine page lists it (the payload only as a download).</summary>
/// <param name="Size">Bytes of the payload as it arrived.</param>
/// <param name="Repeats">How many times the same payload came again with the same code after the first.</param>
public sealed record QuarantineRow(string Id, string At, string Device, string Kind, string Seq, string Code, string Reason, long Size, long Repeats, string Sha256, string PayloadHref);
