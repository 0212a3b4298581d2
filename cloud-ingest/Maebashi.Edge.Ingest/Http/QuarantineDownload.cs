using System.Globalization;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>How a quarantined payload is offered for download, by the API and the console alike.</summary>
public static class QuarantineDownload
{
    /// <summary>The attachment's file name: never the payload's own words, only the record's id.</summary>
    public static string FileName(long id) => "quarantine-" + id.ToString(CultureInfo.InvariantCulture) + ".bin";
}
