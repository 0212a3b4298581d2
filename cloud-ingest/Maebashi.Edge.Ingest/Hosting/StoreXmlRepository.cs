using System.Xml.Linq;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// ASP.NET Data Protection's key ring in the store (<see cref="ISharedState.DataProtectionKeys"/>): every worker on one
/// store protects and reads the console's and My Page's cookies and antiforgery tokens with the same keys, and they
/// outlive a restart. The elements are secrets: this class neither logs them nor hands them to anything but Data Protection.
/// </summary>
/// <remarks>
/// The store is asked for when a key is first read, not when Data Protection is set up (which the console's pages do
/// while the application is built): the ingest then loads its registry before it opens the store (IngestHost.LoadRegistry).
/// </remarks>
internal sealed class StoreXmlRepository(Func<IIngestStore> store) : IXmlRepository
{
    /// <summary>
    /// Data Protection's purposes start with the application's name (by default its content root, which differs
    /// between workers): one name for every worker, so a cookie one protects another reads.
    /// </summary>
    public const string ApplicationName = "maebashi-edge-ingest";

    public IReadOnlyCollection<XElement> GetAllElements() => [.. store().DataProtectionKeys().Select(x => XElement.Parse(x))];

    public void StoreElement(XElement element, string friendlyName) =>
        store().AddDataProtectionKey(friendlyName, element.ToString(SaveOptions.DisableFormatting));
}
