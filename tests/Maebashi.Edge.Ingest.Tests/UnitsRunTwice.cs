using System.Reflection;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// A store whose every unit of work runs twice: the first run is rolled back (the work throws at its end, as a deadlock
/// broke it), the second commits — what <see cref="IIngestStore.Write{T}"/> allows a store to do (PostgreSQL does it
/// after a deadlock between two workers). Everything else goes to the inner store as it is.
/// </summary>
public class UnitsRunTwice : DispatchProxy
{
    private IIngestStore _inner = null!;

    /// <summary>How many units were run twice.</summary>
    public int Retried { get; private set; }

    public static IIngestStore Around(IIngestStore inner, out UnitsRunTwice proxy)
    {
        IIngestStore store = Create<IIngestStore, UnitsRunTwice>();
        proxy = (UnitsRunTwice)(object)store;
        proxy._inner = inner;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        try
        {
            if (targetMethod.Name == nameof(IIngestStore.Write) && targetMethod.IsGenericMethod)
            {
                MethodInfo rolledBack = typeof(UnitsRunTwice).GetMethod(nameof(RolledBack), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(targetMethod.GetGenericArguments());
                try
                {
                    targetMethod.Invoke(_inner, [rolledBack.Invoke(null, [args![0]])]);
                }
                catch (TargetInvocationException e) when (e.InnerException is RolledBackRun)
                {
                    Retried++;
                }
            }

            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private static Func<IIngestWrite, T> RolledBack<T>(Func<IIngestWrite, T> work) => w =>
    {
        work(w);
        throw new RolledBackRun();
    };

    private sealed class RolledBackRun : Exception;
}
