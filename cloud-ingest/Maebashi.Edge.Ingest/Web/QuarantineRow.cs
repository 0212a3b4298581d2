namespace Maebashi.Edge.Ingest.Web;

/// <summary>A quarantined record as the quarantine page lists it (the payload only as a download).</summary>
public sealed record QuarantineRow(string Id, string At, string Device, string Scope, string Seq, string Code, string Reason, int Bytes, string PayloadHref);
