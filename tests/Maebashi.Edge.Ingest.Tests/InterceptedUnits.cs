using System.Reflection;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// A store whose units of work the test steers: each unit's work is counted, may run twice with the first run rolled
/// back (<see cref="RunTwice"/>: the work throws at its end, as a deadlock broke it — what <see cref="IIngestStore.Write{T}"/>
/// allows a store to do, and PostgreSQL does), and may be held right after it locked its devices and persons
/// (<see cref="AfterLockAhead"/>). Everything else goes to the inner store as it is.
/// </summary>
public class InterceptedUnits : DispatchProxy
{
    private IIngestStore _inner = null!;
    private int _runs;

    /// <summary>Every unit runs twice, the first run rolled back.</summary>
    public bool RunTwice { get; set; }

    /// <summary>How many units were rolled back and run again by <see cref="RunTwice"/>.</summary>
    public int Retried { get; private set; }

    /// <summary>How many times units' work ran in all (a store's own retries included).</summary>
    public int Runs => Volatile.Read(ref _runs);

    /// <summary>Called on the unit's thread after its LockAhead returned (the locks are held until the unit ends).</summary>
    public Action? AfterLockAhead { get; set; }

    public static IIngestStore Around(IIngestStore inner, out InterceptedUnits units)
    {
        IIngestStore store = Create<IIngestStore, InterceptedUnits>();
        units = (InterceptedUnits)(object)store;
        units._inner = inner;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name != nameof(IIngestStore.Write) || !targetMethod.IsGenericMethod)
        {
            return Forward(targetMethod, _inner, args);
        }

        Type[] result = targetMethod.GetGenericArguments();
        object counted = Generic(nameof(Counted), result).Invoke(this, [args![0]])!;
        if (RunTwice)
        {
            try
            {
                Forward(targetMethod, _inner, [Generic(nameof(RolledBack), result).Invoke(null, [counted])]);
            }
            catch (RolledBackRun)
            {
                Retried++;
            }
        }

        return Forward(targetMethod, _inner, [counted]);
    }

    private static MethodInfo Generic(string name, Type[] arguments) =>
        typeof(InterceptedUnits).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance)!.MakeGenericMethod(arguments);

    private static object? Forward(MethodInfo method, object target, object?[]? args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private Func<IIngestWrite, T> Counted<T>(Func<IIngestWrite, T> work) => w =>
    {
        Interlocked.Increment(ref _runs);
        return work(HookedWrite.Around(w, this));
    };

    private static Func<IIngestWrite, T> RolledBack<T>(Func<IIngestWrite, T> work) => w =>
    {
        work(w);
        throw new RolledBackRun();
    };

    private sealed class RolledBackRun : Exception;

    /// <summary>The unit as the pipeline sees it: the store's, with <see cref="AfterLockAhead"/> after its LockAhead.</summary>
    public class HookedWrite : DispatchProxy
    {
        private IIngestWrite _inner = null!;
        private InterceptedUnits _owner = null!;

        public static IIngestWrite Around(IIngestWrite inner, InterceptedUnits owner)
        {
            IIngestWrite w = Create<IIngestWrite, HookedWrite>();
            var hooked = (HookedWrite)(object)w;
            hooked._inner = inner;
            hooked._owner = owner;
            return w;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            object? result = Forward(targetMethod, _inner, args);
            if (targetMethod.Name == nameof(IIngestWrite.LockAhead))
            {
                _owner.AfterLockAhead?.Invoke();
            }

            return result;
        }
    }
}
